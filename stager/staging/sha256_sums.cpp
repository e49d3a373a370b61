#include "stager/staging/sha256_sums.hpp"

namespace offstage::staging {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1; // sha256sum writes lower case; upper case is refused as malformed
}

} // namespace

std::string to_hex(const Sha256Digest& digest) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string text;
    text.reserve(64);
    for (std::uint8_t byte : digest) {
        text.push_back(hex[byte >> 4]);
        text.push_back(hex[byte & 0xf]);
    }
    return text;
}

std::string format_sha256sums(const Sha256Sums& sums) {
    std::string text;
    for (const auto& [name, digest] : sums) {
        if (name.empty() || name.find_first_of("\n\\") != std::string::npos) {
            throw SumsError("SHA256SUMS: a name with a newline or backslash cannot be listed");
        }
        text += to_hex(digest);
        text += "  ";
        text += name;
        text += '\n';
    }
    return text;
}

Sha256Sums parse_sha256sums(std::string_view text) {
    Sha256Sums sums;
    std::size_t line_number = 0;
    while (!text.empty()) {
        ++line_number;
        std::size_t end = text.find('\n');
        if (end == std::string_view::npos) {
            throw SumsError("SHA256SUMS:" + std::to_string(line_number) +
                            ": the last line has no newline");
        }
        std::string_view line = text.substr(0, end);
        text.remove_prefix(end + 1);
        auto fail = [&](const std::string& what) {
            throw SumsError("SHA256SUMS:" + std::to_string(line_number) + ": " + what);
        };
        if (line.size() < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*')) {
            fail("not a sha256sum line (64 hex digits, two spaces, a name)");
        }
        Sha256Digest digest{};
        for (std::size_t i = 0; i < 32; ++i) {
            int high = hex_value(line[2 * i]);
            int low = hex_value(line[2 * i + 1]);
            if (high < 0 || low < 0) {
                fail("the digest is not 64 lower-case hex digits");
            }
            digest[i] = static_cast<std::uint8_t>(high << 4 | low);
        }
        std::string name(line.substr(66));
        if (name.find('\\') != std::string::npos) {
            fail("escaped names are not part of the format");
        }
        if (!sums.emplace(name, digest).second) {
            fail("'" + name + "' is listed twice");
        }
    }
    return sums;
}

} // namespace offstage::staging
