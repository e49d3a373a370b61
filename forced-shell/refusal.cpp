#include "forced-shell/refusal.hpp"

namespace offstage::forced_shell {

std::string escape_excerpt(std::string_view text, std::size_t limit) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::min(text.size(), limit) + 8);
    std::size_t used = 0;
    for (char c : text) {
        if (used >= limit) {
            out += "...";
            break;
        }
        auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte < 0x7f && c != '"' && c != '\\') {
            out += c;
        } else {
            out += "\\x";
            out += hex[byte >> 4];
            out += hex[byte & 0xf];
        }
        ++used;
    }
    return out;
}

} // namespace offstage::forced_shell
