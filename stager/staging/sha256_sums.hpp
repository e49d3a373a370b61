// SHA256SUMS in GNU sha256sum's text format (docs/staging-tree.md): "HEX  NAME\n", sorted by
// name in byte order. Digests come from the writers, never from reading gigabytes back.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace offstage::staging {

using Sha256Digest = std::array<std::uint8_t, 32>;

class SumsError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string to_hex(const Sha256Digest& digest);

// name -> digest; std::map keeps byte order.
using Sha256Sums = std::map<std::string, Sha256Digest>;

// Names must not hold a newline or a backslash (sha256sum would escape them): SumsError.
std::string format_sha256sums(const Sha256Sums& sums);

// Reads what format_sha256sums writes (and sha256sum's "HEX *NAME" binary marker). Throws
// SumsError "SHA256SUMS:LINE: ..." for a malformed line or a name listed twice.
Sha256Sums parse_sha256sums(std::string_view text);

} // namespace offstage::staging
