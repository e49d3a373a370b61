// ChaCha20-Poly1305 (RFC 8439) with a fixed key and a fresh 12-byte nonce per message: the
// STREAM chunks and the stanza bodies. The cipher is fetched once per process and the
// EVP_CIPHER_CTX once per object; each message only re-initialises the nonce, so the payload
// loop does no allocation and no fetching.
#pragma once

#include <array>
#include <cstdint>
#include <openssl/evp.h>
#include <span>

namespace offstage::age {

class ChunkCipher {
public:
    static constexpr std::size_t tag_size = 16;
    using Nonce = std::array<std::uint8_t, 12>;
    enum class Direction { seal, open };

    ChunkCipher(std::span<const std::uint8_t, 32> key, Direction direction);
    ~ChunkCipher();
    ChunkCipher(const ChunkCipher&) = delete;
    ChunkCipher& operator=(const ChunkCipher&) = delete;

    // Writes in.size() bytes of ciphertext and then the 16-byte tag to `out`.
    void seal(const Nonce& nonce, std::span<const std::uint8_t> in, std::uint8_t* out);
    // `in` is ciphertext followed by its tag; writes in.size() - 16 bytes to `out`. Returns
    // false when the tag does not verify: then `out` holds unauthenticated bytes the caller
    // must not use.
    bool open(const Nonce& nonce, std::span<const std::uint8_t> in, std::uint8_t* out);

private:
    EVP_CIPHER_CTX* ctx_;
};

} // namespace offstage::age
