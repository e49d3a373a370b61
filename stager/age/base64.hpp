// age's base64: the standard alphabet, and on the header's side strictly canonical and
// unpadded (the spec rejects padding, whitespace and non-zero trailing bits, which OpenSSL's
// EVP_Encode*/BIO_f_base64 cannot be made to check). The padded form is the ASCII armor's.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::age {

// Unpadded standard base64 ("RawStdEncoding").
std::string encode_base64_unpadded(std::span<const std::uint8_t> bytes);
// Padded standard base64, appended to `out` (the armor's lines).
void append_base64_padded(std::span<const std::uint8_t> bytes, std::string& out);

// Strict decoders: nullopt for any character outside the alphabet, a wrong length, a
// misplaced or (unpadded) present '=', or non-zero bits after the last full byte.
std::optional<std::vector<std::uint8_t>> decode_base64_unpadded(std::string_view text);
std::optional<std::vector<std::uint8_t>> decode_base64_padded(std::string_view text);

// Decodes padded base64 into `out` (which must have room for text.size() / 4 * 3 bytes);
// returns the number of bytes written or nullopt. No allocation: the armor reader's hot path.
std::optional<std::size_t> decode_base64_padded_into(std::string_view text, std::uint8_t* out);

} // namespace offstage::age
