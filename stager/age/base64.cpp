#include "stager/age/base64.hpp"

#include <array>

namespace offstage::age {
namespace {

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// 0..63 for alphabet characters, -1 for anything else (including '=' and whitespace).
constexpr std::array<std::int8_t, 256> make_decode_table() {
    std::array<std::int8_t, 256> table{};
    for (auto& entry : table) {
        entry = -1;
    }
    for (int i = 0; i < 64; ++i) {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    }
    return table;
}
constexpr auto decode_table = make_decode_table();

void encode(std::span<const std::uint8_t> bytes, bool pad, std::string& out) {
    std::size_t i = 0;
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v =
            (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
        out.push_back(alphabet[v & 63]);
    }
    std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        std::uint32_t v = std::uint32_t{bytes[i]} << 16;
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        if (pad) {
            out.append("==");
        }
    } else if (rest == 2) {
        std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
        out.push_back(alphabet[(v >> 18) & 63]);
        out.push_back(alphabet[(v >> 12) & 63]);
        out.push_back(alphabet[(v >> 6) & 63]);
        if (pad) {
            out.push_back('=');
        }
    }
}

// Decodes `text` (no padding left in it) into `out`; `tail` is text.size() % 4 (never 1).
// Rejects non-zero trailing bits, which would make two spellings of the same bytes.
bool decode_core(std::string_view text, std::uint8_t* out, std::size_t& written) {
    written = 0;
    std::size_t full = text.size() / 4 * 4;
    for (std::size_t i = 0; i < full; i += 4) {
        int a = decode_table[static_cast<unsigned char>(text[i])];
        int b = decode_table[static_cast<unsigned char>(text[i + 1])];
        int c = decode_table[static_cast<unsigned char>(text[i + 2])];
        int d = decode_table[static_cast<unsigned char>(text[i + 3])];
        if ((a | b | c | d) < 0) {
            return false;
        }
        std::uint32_t v = (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) |
                          (std::uint32_t(c) << 6) | std::uint32_t(d);
        out[written++] = static_cast<std::uint8_t>(v >> 16);
        out[written++] = static_cast<std::uint8_t>(v >> 8);
        out[written++] = static_cast<std::uint8_t>(v);
    }
    std::size_t tail = text.size() - full;
    if (tail == 1) {
        return false;
    }
    if (tail >= 2) {
        int a = decode_table[static_cast<unsigned char>(text[full])];
        int b = decode_table[static_cast<unsigned char>(text[full + 1])];
        int c = tail == 3 ? decode_table[static_cast<unsigned char>(text[full + 2])] : 0;
        if ((a | b | c) < 0) {
            return false;
        }
        std::uint32_t v =
            (std::uint32_t(a) << 18) | (std::uint32_t(b) << 12) | (std::uint32_t(c) << 6);
        out[written++] = static_cast<std::uint8_t>(v >> 16);
        if (tail == 3) {
            out[written++] = static_cast<std::uint8_t>(v >> 8);
            if ((v & 0xff) != 0) {
                return false;
            }
        } else if ((v & 0xffff) != 0) {
            return false;
        }
    }
    return true;
}

} // namespace

std::string encode_base64_unpadded(std::span<const std::uint8_t> bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    encode(bytes, false, out);
    return out;
}

void append_base64_padded(std::span<const std::uint8_t> bytes, std::string& out) {
    encode(bytes, true, out);
}

std::optional<std::vector<std::uint8_t>> decode_base64_unpadded(std::string_view text) {
    std::vector<std::uint8_t> out(text.size() / 4 * 3 + 2);
    std::size_t written = 0;
    if (!decode_core(text, out.data(), written)) {
        return std::nullopt;
    }
    out.resize(written);
    return out;
}

std::optional<std::size_t> decode_base64_padded_into(std::string_view text, std::uint8_t* out) {
    if (text.size() % 4 != 0) {
        return std::nullopt;
    }
    // At most two '=' and only at the very end; the core then checks the trailing bits.
    std::size_t pad = 0;
    while (pad < 2 && pad < text.size() && text[text.size() - 1 - pad] == '=') {
        ++pad;
    }
    std::size_t written = 0;
    if (!decode_core(text.substr(0, text.size() - pad), out, written)) {
        return std::nullopt;
    }
    return written;
}

std::optional<std::vector<std::uint8_t>> decode_base64_padded(std::string_view text) {
    std::vector<std::uint8_t> out(text.size() / 4 * 3);
    auto written = decode_base64_padded_into(text, out.data());
    if (!written) {
        return std::nullopt;
    }
    out.resize(*written);
    return out;
}

} // namespace offstage::age
