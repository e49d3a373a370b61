#include "platform/bech32.hpp"

#include <algorithm>
#include <cctype>

namespace offstage::platform {
namespace {

constexpr char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

std::uint32_t polymod(const std::vector<std::uint8_t>& values) {
    constexpr std::uint32_t generator[] = {0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd,
                                           0x2a1462b3};
    std::uint32_t chk = 1;
    for (std::uint8_t v : values) {
        std::uint32_t top = chk >> 25;
        chk = ((chk & 0x1ffffff) << 5) ^ v;
        for (int i = 0; i < 5; ++i) {
            if ((top >> i) & 1) {
                chk ^= generator[i];
            }
        }
    }
    return chk;
}

std::vector<std::uint8_t> expand_hrp(std::string_view hrp) {
    std::vector<std::uint8_t> out;
    out.reserve(hrp.size() * 2 + 1);
    for (char c : hrp) {
        out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) >> 5));
    }
    out.push_back(0);
    for (char c : hrp) {
        out.push_back(static_cast<std::uint8_t>(static_cast<unsigned char>(c) & 31));
    }
    return out;
}

// Regroups bits; with pad=false, leftover bits must be fewer than `from` and all zero.
std::optional<std::vector<std::uint8_t>> convert_bits(std::span<const std::uint8_t> in, int from,
                                                      int to, bool pad) {
    std::uint32_t acc = 0;
    int bits = 0;
    std::vector<std::uint8_t> out;
    const std::uint32_t max = (1u << to) - 1;
    for (std::uint8_t value : in) {
        if ((value >> from) != 0) {
            return std::nullopt;
        }
        acc = (acc << from) | value;
        bits += from;
        while (bits >= to) {
            bits -= to;
            out.push_back(static_cast<std::uint8_t>((acc >> bits) & max));
        }
    }
    if (pad) {
        if (bits > 0) {
            out.push_back(static_cast<std::uint8_t>((acc << (to - bits)) & max));
        }
    } else if (bits >= from || ((acc << (to - bits)) & max) != 0) {
        return std::nullopt;
    }
    return out;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

} // namespace

std::string encode_bech32(std::string_view hrp, std::span<const std::uint8_t> data,
                          bool uppercase) {
    std::string lower_hrp = to_lower(hrp);
    auto values = *convert_bits(data, 8, 5, true);
    auto checksum_input = expand_hrp(lower_hrp);
    checksum_input.insert(checksum_input.end(), values.begin(), values.end());
    checksum_input.insert(checksum_input.end(), 6, 0);
    std::uint32_t mod = polymod(checksum_input) ^ 1;
    std::string out = lower_hrp + '1';
    for (std::uint8_t v : values) {
        out.push_back(charset[v]);
    }
    for (int i = 0; i < 6; ++i) {
        out.push_back(charset[(mod >> (5 * (5 - i))) & 31]);
    }
    if (uppercase) {
        std::transform(out.begin(), out.end(), out.begin(),
                       [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    }
    return out;
}

std::optional<Bech32Decoded> decode_bech32(std::string_view text) {
    bool has_lower = false;
    bool has_upper = false;
    for (unsigned char c : text) {
        if (c < 33 || c > 126) {
            return std::nullopt;
        }
        has_lower = has_lower || (c >= 'a' && c <= 'z');
        has_upper = has_upper || (c >= 'A' && c <= 'Z');
    }
    if (has_lower && has_upper) {
        return std::nullopt;
    }
    std::size_t separator = text.rfind('1');
    if (separator == std::string_view::npos || separator < 1 || separator + 7 > text.size()) {
        return std::nullopt;
    }
    std::string lower = to_lower(text);
    std::vector<std::uint8_t> values;
    values.reserve(text.size() - separator - 1);
    for (std::size_t i = separator + 1; i < lower.size(); ++i) {
        const char* found = std::char_traits<char>::find(charset, 32, lower[i]);
        if (found == nullptr) {
            return std::nullopt;
        }
        values.push_back(static_cast<std::uint8_t>(found - charset));
    }
    auto checksum_input = expand_hrp(std::string_view(lower).substr(0, separator));
    checksum_input.insert(checksum_input.end(), values.begin(), values.end());
    if (polymod(checksum_input) != 1) {
        return std::nullopt;
    }
    auto data = convert_bits(std::span(values).first(values.size() - 6), 5, 8, false);
    if (!data) {
        return std::nullopt;
    }
    return Bech32Decoded{std::string(text.substr(0, separator)), std::move(*data)};
}

} // namespace offstage::platform
