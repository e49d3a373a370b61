#include "stager/selection/path_encoding.hpp"

namespace offstage::selection {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, unsigned char byte) {
    out += hex_digits[byte >> 4];
    out += hex_digits[byte & 0xf];
}

} // namespace

std::size_t utf8_sequence_length(std::string_view text, std::size_t at) {
    auto byte = [&text](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char lead = byte(at);
    if (lead < 0x80) {
        return 1;
    }
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xbf; // allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        low = lead == 0xe0 ? 0xa0 : 0x80;  // no overlong
        high = lead == 0xed ? 0x9f : 0xbf; // no surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        low = lead == 0xf0 ? 0x90 : 0x80;  // no overlong
        high = lead == 0xf4 ? 0x8f : 0xbf; // at most U+10FFFF
    } else {
        return 0;
    }
    if (at + length > text.size()) {
        return 0;
    }
    if (byte(at + 1) < low || byte(at + 1) > high) {
        return 0;
    }
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(at + i) < 0x80 || byte(at + i) > 0xbf) {
            return 0;
        }
    }
    return length;
}

void append_text_escaped(std::string& out, std::string_view path) {
    for (std::size_t i = 0; i < path.size();) {
        auto byte = static_cast<unsigned char>(path[i]);
        if (byte == '\\') {
            out += "\\\\";
            ++i;
            continue;
        }
        std::size_t length = utf8_sequence_length(path, i);
        if (length == 0 || byte < 0x20 || byte == 0x7f) {
            out += "\\x";
            append_hex_byte(out, byte);
            ++i;
            continue;
        }
        // C1 controls (U+0080..U+009F) would move a terminal's cursor too.
        if (length == 2 && byte == 0xc2 && static_cast<unsigned char>(path[i + 1]) < 0xa0) {
            out += "\\xc2\\x";
            append_hex_byte(out, static_cast<unsigned char>(path[i + 1]));
            i += 2;
            continue;
        }
        out.append(path.substr(i, length));
        i += length;
    }
}

void append_json_string(std::string& out, std::string_view path) {
    out += '"';
    for (std::size_t i = 0; i < path.size();) {
        auto byte = static_cast<unsigned char>(path[i]);
        if (byte == '"' || byte == '\\') {
            out += '\\';
            out += static_cast<char>(byte);
            ++i;
        } else if (byte < 0x20 || byte == 0x7f) {
            out += "\\u00";
            append_hex_byte(out, byte);
            ++i;
        } else if (std::size_t length = utf8_sequence_length(path, i); length == 0) {
            out += "\\udc";
            append_hex_byte(out, byte);
            ++i;
        } else {
            out.append(path.substr(i, length));
            i += length;
        }
    }
    out += '"';
}

} // namespace offstage::selection
