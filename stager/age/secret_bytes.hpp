// A fixed-size buffer for key material: wiped with OPENSSL_cleanse whenever it is destroyed or
// overwritten, so file keys, payload keys and shared secrets do not linger in freed memory.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <openssl/crypto.h>
#include <span>

namespace offstage::age {

template <std::size_t N>
class SecretBytes {
public:
    SecretBytes() { bytes_.fill(0); }
    SecretBytes(const SecretBytes& other)
        : bytes_(other.bytes_) {}
    SecretBytes& operator=(const SecretBytes& other) {
        bytes_ = other.bytes_;
        return *this;
    }
    ~SecretBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }

    std::uint8_t* data() { return bytes_.data(); }
    const std::uint8_t* data() const { return bytes_.data(); }
    static constexpr std::size_t size() { return N; }
    std::span<std::uint8_t, N> span() { return bytes_; }
    std::span<const std::uint8_t, N> span() const { return bytes_; }

private:
    std::array<std::uint8_t, N> bytes_;
};

using FileKey = SecretBytes<16>;      // the per-file key every recipient stanza wraps
using SymmetricKey = SecretBytes<32>; // ChaCha20-Poly1305 keys, HMAC keys, X25519 secrets

} // namespace offstage::age
