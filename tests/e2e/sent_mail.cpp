#include "tests/e2e/sent_mail.hpp"

#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>
#include <stdexcept>

namespace offstage::e2e {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        lines.push_back(line);
    }
    return lines;
}

} // namespace

std::string decode_quoted_printable(const std::string& text) {
    std::string decoded;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            decoded.push_back(text[i]);
            continue;
        }
        if (i + 1 < text.size() && text[i + 1] == '\n') { // a soft line break
            i += 1;
        } else if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
            i += 2;
        } else if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
                   hex_value(text[i + 2]) >= 0) {
            decoded.push_back(
                static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
        } else {
            throw std::runtime_error("not quoted-printable: '=' followed by '" +
                                     text.substr(i + 1, 2) + "'");
        }
    }
    return decoded;
}

SentMail SentMail::read(const std::filesystem::path& file) {
    std::string message = test::read_file(file);
    std::size_t separator = message.find("\n\n");
    if (separator == std::string::npos) {
        throw std::runtime_error(file.string() + ": no blank line between headers and body");
    }
    SentMail mail;
    mail.headers_ = message.substr(0, separator + 1);
    const std::string encoding = lower(mail.header("Content-Transfer-Encoding").value_or(""));
    const std::string body = message.substr(separator + 2);
    mail.body_ = encoding == "quoted-printable" ? decode_quoted_printable(body) : body;
    return mail;
}

std::optional<std::string> SentMail::header(const std::string& name) const {
    const std::vector<std::string> lines = lines_of(headers_);
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::size_t colon = lines[i].find(':');
        if (colon == std::string::npos || lower(lines[i].substr(0, colon)) != lower(name)) {
            continue;
        }
        std::string value = lines[i].substr(colon + 1);
        for (std::size_t j = i + 1;
             j < lines.size() && !lines[j].empty() && (lines[j][0] == ' ' || lines[j][0] == '\t');
             ++j) {
            value += lines[j];
        }
        value.erase(0, value.find_first_not_of(" \t"));
        return value;
    }
    return std::nullopt;
}

std::vector<std::string> SentMail::listed_under(const std::string& title) const {
    const std::vector<std::string> lines = lines_of(body_);
    std::vector<std::string> names;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (lines[i].rfind(title, 0) != 0 && lines[i].rfind("== " + title, 0) != 0) {
            continue;
        }
        for (std::size_t j = i + 1; j < lines.size() && lines[j].rfind("  ", 0) == 0; ++j) {
            names.push_back(lines[j].substr(2));
        }
        break;
    }
    return names;
}

} // namespace offstage::e2e
