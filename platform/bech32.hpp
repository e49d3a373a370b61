// Bech32 (BIP 173 checksum, no length limit, as age uses it for "age1..." recipients and
// "AGE-SECRET-KEY-1..." identities). OpenSSL has no Bech32, so this small codec is our own,
// in platform/ so that offstage-shell checks recipients' syntax without any age code, and
// checked against age-keygen's output and the testkit's identities.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::platform {

struct Bech32Decoded {
    std::string hrp; // as written (age compares it case-sensitively: "age", "AGE-SECRET-KEY-")
    std::vector<std::uint8_t> data;
};

// Encodes 8-bit `data` under `hrp`; lowercase unless `uppercase`.
std::string encode_bech32(std::string_view hrp, std::span<const std::uint8_t> data,
                          bool uppercase = false);

// Decodes and checks the checksum; nullopt on mixed case, a bad character, a bad checksum or
// non-zero padding bits. The caller checks the hrp.
std::optional<Bech32Decoded> decode_bech32(std::string_view text);

} // namespace offstage::platform
