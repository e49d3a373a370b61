#include "platform/printable_name.hpp"

#include <cstdint>

namespace offstage::platform {

namespace {

void append_octal(std::string& text, unsigned char byte) {
    text += '\\';
    text += static_cast<char>('0' + (byte >> 6));
    text += static_cast<char>('0' + ((byte >> 3) & 7));
    text += static_cast<char>('0' + (byte & 7));
}

// The length of the valid UTF-8 sequence at the start of `rest` and its code point, or 0 when
// the bytes there are not one (stray continuation, truncated, overlong, surrogate, > U+10FFFF).
std::size_t utf8_sequence(std::string_view rest, char32_t& code_point) {
    const auto lead = static_cast<unsigned char>(rest[0]);
    std::size_t length = 0;
    char32_t minimum = 0;
    if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code_point = lead & 0x1f;
        minimum = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code_point = lead & 0x0f;
        minimum = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code_point = lead & 0x07;
        minimum = 0x10000;
    } else {
        return 0;
    }
    if (rest.size() < length) {
        return 0;
    }
    for (std::size_t i = 1; i < length; ++i) {
        const auto byte = static_cast<unsigned char>(rest[i]);
        if ((byte & 0xc0) != 0x80) {
            return 0;
        }
        code_point = (code_point << 6) | (byte & 0x3f);
    }
    if (code_point < minimum || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
        return 0;
    }
    return length;
}

// Code points that change how a terminal shows what follows, though they are valid UTF-8.
bool is_hidden_control(char32_t code_point) {
    return (code_point >= 0x80 && code_point <= 0x9f) || code_point == 0x061c ||
           code_point == 0x200e || code_point == 0x200f ||
           (code_point >= 0x2028 && code_point <= 0x202e) ||
           (code_point >= 0x2066 && code_point <= 0x2069);
}

std::string escaped(std::string_view name, bool double_backslash) {
    std::string text;
    text.reserve(name.size());
    while (!name.empty()) {
        const auto byte = static_cast<unsigned char>(name[0]);
        if (byte >= 0x20 && byte < 0x7f) {
            if (byte == '\\' && double_backslash) {
                text += '\\';
            }
            text += static_cast<char>(byte);
            name.remove_prefix(1);
            continue;
        }
        char32_t code_point = 0;
        std::size_t length = byte >= 0x80 ? utf8_sequence(name, code_point) : 0;
        if (length == 0) {
            append_octal(text, byte);
            name.remove_prefix(1);
            continue;
        }
        for (std::size_t i = 0; i < length; ++i) {
            if (is_hidden_control(code_point)) {
                append_octal(text, static_cast<unsigned char>(name[i]));
            } else {
                text += name[i];
            }
        }
        name.remove_prefix(length);
    }
    return text;
}

} // namespace

std::string printable_name(std::string_view name) {
    return escaped(name, true);
}

std::string printable_name(std::string_view name, std::size_t limit) {
    if (name.size() <= limit) {
        return escaped(name, true);
    }
    std::size_t cut = limit;
    while (cut > 0 && cut < name.size() && (static_cast<unsigned char>(name[cut]) & 0xc0) == 0x80) {
        --cut;
    }
    return escaped(name.substr(0, cut), true) + "...";
}

std::string printable_message(std::string_view text) {
    return escaped(text, false);
}

} // namespace offstage::platform
