#include "stager/age/header.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/base64.hpp"

#include <algorithm>

namespace offstage::age {
namespace {

constexpr std::size_t max_line = 16 * 1024; // generous for any recipient type
constexpr std::size_t body_line_bytes = 48; // a full body line: 64 base64 columns
constexpr std::string_view stanza_prefix = "-> ";
constexpr std::string_view mac_prefix = "---";

[[noreturn]] void fail(std::size_t line_number, const std::string& what) {
    throw AgeError(AgeError::Kind::header,
                   "invalid header, line " + std::to_string(line_number) + ": " + what);
}

std::vector<std::string> split_spaces(std::string_view text) {
    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true) {
        std::size_t space = text.find(' ', start);
        parts.emplace_back(text.substr(start, space - start));
        if (space == std::string_view::npos) {
            return parts;
        }
        start = space + 1;
    }
}

// Stanza arguments: non-empty strings of visible ASCII.
bool is_valid_argument(const std::string& arg) {
    return !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
        return static_cast<unsigned char>(c) >= 33 && static_cast<unsigned char>(c) <= 126;
    });
}

} // namespace

Header Header::parse(BufferedReader& in) {
    Header header;
    std::string line;
    std::size_t number = 0;
    auto next = [&]() {
        ++number;
        auto end = in.read_line(line, max_line);
        if (end == BufferedReader::LineEnd::too_long) {
            fail(number, "longer than " + std::to_string(max_line) + " bytes");
        }
        if (end != BufferedReader::LineEnd::newline) {
            fail(number, "the input ends inside the header");
        }
        header.mac_input_ += line;
        header.mac_input_ += '\n';
        if (header.mac_input_.size() > max_size) {
            fail(number, std::string("the header is larger than ") + max_size_text);
        }
    };

    next();
    if (line != version_line) {
        fail(number, "not \"age-encryption.org/v1\" (not an age file, or an unsupported version)");
    }
    while (true) {
        next();
        if (line.starts_with(mac_prefix)) {
            auto parts = split_spaces(line);
            if (parts[0] != mac_prefix || parts.size() != 2) {
                fail(number, "malformed MAC line");
            }
            auto mac = decode_base64_unpadded(parts[1]);
            if (!mac || mac->size() != header.mac_.size()) {
                fail(number, "the MAC is not 32 bytes of canonical base64");
            }
            std::copy(mac->begin(), mac->end(), header.mac_.begin());
            // The MAC covers the header up to and including "---", not the space after it.
            header.mac_input_.resize(header.mac_input_.size() - line.size() - 1 +
                                     mac_prefix.size());
            return header;
        }
        if (!line.starts_with(stanza_prefix)) {
            fail(number, "neither a stanza (\"-> \") nor the MAC line (\"--- \")");
        }
        auto args = split_spaces(std::string_view(line).substr(stanza_prefix.size()));
        if (!std::all_of(args.begin(), args.end(), is_valid_argument)) {
            fail(number, "a stanza argument is empty or not visible ASCII");
        }
        Stanza stanza;
        stanza.type = std::move(args[0]);
        stanza.args.assign(std::make_move_iterator(args.begin() + 1),
                           std::make_move_iterator(args.end()));
        // The body: full 64-column lines, ended by a shorter (possibly empty) one.
        while (true) {
            next();
            auto bytes = decode_base64_unpadded(line);
            if (!bytes) {
                fail(number, "a stanza body line is not canonical unpadded base64");
            }
            if (bytes->size() > body_line_bytes) {
                fail(number, "a stanza body line is longer than 64 columns");
            }
            stanza.body.insert(stanza.body.end(), bytes->begin(), bytes->end());
            if (bytes->size() < body_line_bytes) {
                break;
            }
        }
        header.stanzas_.push_back(std::move(stanza));
    }
}

std::size_t Header::encoded_size(const Stanza& stanza) {
    std::size_t size = stanza_prefix.size() + stanza.type.size() + 1;
    for (const auto& arg : stanza.args) {
        size += 1 + arg.size();
    }
    const std::size_t body = (stanza.body.size() * 4 + 2) / 3; // unpadded base64
    return size + body + body / 64 + 1;                        // full lines, then a short one
}

std::string Header::encode_without_mac(const std::vector<Stanza>& stanzas) {
    std::string out(version_line);
    out += '\n';
    for (const auto& stanza : stanzas) {
        out += stanza_prefix;
        out += stanza.type;
        for (const auto& arg : stanza.args) {
            out += ' ';
            out += arg;
        }
        out += '\n';
        std::string body = encode_base64_unpadded(stanza.body);
        // Full lines of 64 columns, then a final short line, empty when the body fills whole lines.
        std::size_t pos = 0;
        for (; pos + 64 <= body.size(); pos += 64) {
            out.append(body, pos, 64);
            out += '\n';
        }
        out.append(body, pos);
        out += '\n';
    }
    out += mac_prefix;
    return out;
}

} // namespace offstage::age
