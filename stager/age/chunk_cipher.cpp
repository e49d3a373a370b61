#include "stager/age/chunk_cipher.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/primitives.hpp"

#include <memory>
#include <openssl/err.h>

namespace offstage::age {
namespace {

struct CipherFree {
    void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
};

// Fetched once: EVP_CIPHER_fetch takes a lock and searches the provider's algorithms.
const EVP_CIPHER* chacha20_poly1305() {
    static const std::unique_ptr<EVP_CIPHER, CipherFree> cipher(
        EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr));
    if (!cipher) {
        throw AgeError("fetching ChaCha20-Poly1305 from OpenSSL: " + openssl_errors());
    }
    return cipher.get();
}

} // namespace

ChunkCipher::ChunkCipher(std::span<const std::uint8_t, 32> key, Direction direction)
    : ctx_(EVP_CIPHER_CTX_new()) {
    const EVP_CIPHER* cipher = chacha20_poly1305();
    if (ctx_ == nullptr || EVP_CipherInit_ex(ctx_, cipher, nullptr, key.data(), nullptr,
                                             direction == Direction::seal ? 1 : 0) != 1) {
        EVP_CIPHER_CTX_free(ctx_);
        throw AgeError("ChaCha20-Poly1305 key setup: " + openssl_errors());
    }
}

ChunkCipher::~ChunkCipher() {
    EVP_CIPHER_CTX_free(ctx_);
} // also wipes the key schedule

void ChunkCipher::seal(const Nonce& nonce, std::span<const std::uint8_t> in, std::uint8_t* out) {
    int length = 0;
    int final_length = 0;
    if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce.data(), -1) != 1 ||
        EVP_CipherUpdate(ctx_, out, &length, in.data(), static_cast<int>(in.size())) != 1 ||
        EVP_CipherFinal_ex(ctx_, out + length, &final_length) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, tag_size, out + in.size()) != 1) {
        throw AgeError("ChaCha20-Poly1305 encryption: " + openssl_errors());
    }
}

bool ChunkCipher::open(const Nonce& nonce, std::span<const std::uint8_t> in, std::uint8_t* out) {
    if (in.size() < tag_size) {
        return false;
    }
    std::size_t text_size = in.size() - tag_size;
    int length = 0;
    int final_length = 0;
    if (EVP_CipherInit_ex(ctx_, nullptr, nullptr, nullptr, nonce.data(), -1) != 1 ||
        EVP_CipherUpdate(ctx_, out, &length, in.data(), static_cast<int>(text_size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, tag_size,
                            const_cast<std::uint8_t*>(in.data() + text_size)) != 1) {
        throw AgeError("ChaCha20-Poly1305 decryption: " + openssl_errors());
    }
    // The tag comparison inside EVP_CipherFinal_ex is constant-time (CRYPTO_memcmp).
    if (EVP_CipherFinal_ex(ctx_, out + length, &final_length) != 1) {
        ERR_clear_error();
        return false;
    }
    return true;
}

} // namespace offstage::age
