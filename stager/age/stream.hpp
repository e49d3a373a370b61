// The constants and nonce layout of age's STREAM payload: 64 KiB chunks, each sealed with
// ChaCha20-Poly1305 under the payload key and the nonce (11-byte big-endian counter || flag),
// the flag being 1 on the final chunk only.
#pragma once

#include "stager/age/chunk_cipher.hpp"

#include <cstddef>
#include <cstdint>

namespace offstage::age::stream {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t sealed_chunk_size = chunk_size + ChunkCipher::tag_size;
constexpr std::size_t nonce_size = 16; // the payload nonce after the header (HKDF salt)

inline ChunkCipher::Nonce chunk_nonce(std::uint64_t counter, bool last) {
    ChunkCipher::Nonce nonce{};
    for (int i = 0; i < 8; ++i) {
        nonce[10 - i] = static_cast<std::uint8_t>(counter >> (8 * i));
    }
    nonce[11] = last ? 1 : 0;
    return nonce;
}

} // namespace offstage::age::stream
