#include "manifests/dpkg_query_parser.hpp"

#include <stdexcept>

namespace offstage::manifests {

ConffileLine DpkgQueryParser::parse_conffile_line(std::string_view line) {
    auto fail = [&line](const char* what) {
        throw std::runtime_error(std::string("malformed conffile line '") + std::string(line) +
                                 "': " + what);
    };
    std::string_view rest = line;
    if (!rest.empty() && rest.front() == ' ') {
        rest.remove_prefix(1);
    }
    while (!rest.empty() && rest.back() == ' ') {
        rest.remove_suffix(1);
    }
    ConffileLine parsed;
    // From the right: flags, then the hash; whatever is left is the path, spaces and all.
    for (;;) {
        std::size_t space = rest.rfind(' ');
        if (space == std::string_view::npos) {
            fail("expected PATH MD5");
        }
        std::string_view word = rest.substr(space + 1);
        if (word == "obsolete") {
            parsed.obsolete = true;
        } else if (word == "remove-on-upgrade") {
            parsed.remove_on_upgrade = true;
        } else {
            parsed.md5 = word;
            parsed.path = rest.substr(0, space);
            break;
        }
        rest = rest.substr(0, space);
    }
    if (parsed.path.empty() || parsed.path.front() != '/') {
        fail("path is not absolute");
    }
    bool hex = parsed.md5.size() == 32 &&
               parsed.md5.find_first_not_of("0123456789abcdef") == std::string_view::npos;
    if (!hex && parsed.md5 != "newconffile") {
        fail("expected an md5 hash or newconffile");
    }
    return parsed;
}

void DpkgQueryParser::fail(const std::string& what) const {
    throw std::runtime_error("dpkg-query output line " + std::to_string(line_number_) + ": " +
                             what);
}

void DpkgQueryParser::parse_line(std::string_view line) {
    ++line_number_;
    if (line.empty()) {
        return; // an empty field leaves an empty line
    }
    if (line.front() == ' ') {
        if (section_ == Section::conffiles) {
            try {
                handler_.conffile(parse_conffile_line(line));
            } catch (const std::runtime_error& error) {
                fail(error.what());
            }
        } else if (section_ == Section::files) {
            std::string_view path = line.substr(1);
            if (path == "/.") {
                path = "/";
            }
            if (path.empty() || path.front() != '/') {
                fail("file path is not absolute: '" + std::string(path) + "'");
            }
            handler_.file(path);
        } else {
            fail("field line outside a package record");
        }
        return;
    }
    if (line.front() == 'P') {
        std::string_view rest = line.substr(1);
        std::size_t space = rest.find(' ');
        if (space == 0 || space == std::string_view::npos) {
            fail("expected 'PNAME STATUS', found '" + std::string(line) + "'");
        }
        handler_.package(rest.substr(0, space), rest.substr(space + 1));
        section_ = Section::header;
    } else if (line == "C" && section_ != Section::none) {
        section_ = Section::conffiles;
    } else if (line == "F" && section_ != Section::none) {
        section_ = Section::files;
    } else {
        fail("unexpected line '" + std::string(line) + "'");
    }
}

void DpkgQueryParser::feed(std::string_view chunk) {
    // Complete the line split across chunks first, then parse whole lines in place.
    if (!partial_.empty()) {
        std::size_t newline = chunk.find('\n');
        if (newline == std::string_view::npos) {
            partial_.append(chunk);
            return;
        }
        partial_.append(chunk.substr(0, newline));
        std::string line = std::move(partial_);
        partial_.clear();
        parse_line(line);
        chunk.remove_prefix(newline + 1);
    }
    for (;;) {
        std::size_t newline = chunk.find('\n');
        if (newline == std::string_view::npos) {
            partial_.assign(chunk);
            return;
        }
        parse_line(chunk.substr(0, newline));
        chunk.remove_prefix(newline + 1);
    }
}

void DpkgQueryParser::finish() {
    if (!partial_.empty()) {
        std::string line = std::move(partial_);
        partial_.clear();
        parse_line(line);
    }
}

} // namespace offstage::manifests
