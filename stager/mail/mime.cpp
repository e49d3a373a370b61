#include "stager/mail/mime.hpp"

#include <openssl/evp.h>

namespace offstage::mail::mime {

namespace {

constexpr char hex_digits[] = "0123456789ABCDEF";

bool is_printable_ascii(std::string_view text) {
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte >= 0x7f) {
            return false;
        }
    }
    return true;
}

// One line of quoted-printable output, from one line of input (without its '\n').
void encode_line(std::string_view line, std::string& out) {
    constexpr std::size_t max_width = 75; // plus the "=" of a soft break: 76
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto byte = static_cast<unsigned char>(line[i]);
        auto must_encode = [&](bool line_start) {
            if (byte == '=' || byte < 0x20 || byte >= 0x7f) {
                return true;
            }
            if (byte == ' ' && i + 1 == line.size()) {
                return true; // trailing white space may be stripped in transit
            }
            return line_start && (byte == '.' || line.substr(i, 5) == "From ");
        };
        bool encode = must_encode(column == 0);
        std::size_t width = encode ? 3 : 1;
        if (column + width > max_width) {
            out += "=\n";
            column = 0;
            encode = must_encode(true);
            width = encode ? 3 : 1;
        }
        if (encode) {
            out += '=';
            out += hex_digits[byte >> 4];
            out += hex_digits[byte & 0x0f];
        } else {
            out += static_cast<char>(byte);
        }
        column += width;
    }
}

} // namespace

std::string header_safe(std::string_view value) {
    std::string safe(value);
    for (char& c : safe) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            c = ' ';
        }
    }
    return safe;
}

std::string base64(std::string_view bytes) {
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                                 reinterpret_cast<const unsigned char*>(bytes.data()),
                                 static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    return text;
}

std::string unstructured_header(std::string_view name, std::string_view value) {
    const std::string safe = header_safe(value);
    std::string header = std::string(name) + ":";
    std::size_t line_start = 0;
    if (is_printable_ascii(safe)) {
        std::size_t position = 0;
        bool first_word = true;
        while (position < safe.size()) {
            std::size_t end = safe.find(' ', position);
            std::string_view word = std::string_view(safe).substr(
                position, end == std::string::npos ? std::string::npos : end - position);
            // Fold (a newline before the space) when the word would pass column 78.
            if (!first_word && header.size() - line_start + 1 + word.size() > 78) {
                header += '\n';
                line_start = header.size();
            }
            header += ' ';
            header += word;
            first_word = false;
            position = end == std::string::npos ? safe.size() : end + 1;
        }
        return header;
    }
    // 39 bytes make 52 base64 characters: "=?UTF-8?B?" + 52 + "?=" = 64, which fits after
    // "Subject: " within 78 columns.
    constexpr std::size_t chunk = 39;
    std::size_t position = 0;
    bool first = true;
    while (position < safe.size()) {
        std::size_t length = std::min(chunk, safe.size() - position);
        // Never split a UTF-8 sequence across two words: back off to a lead byte.
        while (position + length < safe.size() &&
               (static_cast<unsigned char>(safe[position + length]) & 0xc0) == 0x80 && length > 1) {
            --length;
        }
        header += first ? " " : "\n ";
        header += "=?UTF-8?B?" + base64(std::string_view(safe).substr(position, length)) + "?=";
        position += length;
        first = false;
    }
    return header;
}

std::string quoted_printable(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string_view::npos) {
            encode_line(text.substr(position), out);
            break;
        }
        encode_line(text.substr(position, end - position), out);
        out += '\n';
        position = end + 1;
    }
    return out;
}

} // namespace offstage::mail::mime
