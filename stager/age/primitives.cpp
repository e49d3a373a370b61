#include "stager/age/primitives.hpp"

#include "stager/age/age_error.hpp"

#include <memory>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>

namespace offstage::age {
namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
    void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct KdfFree {
    void operator()(EVP_KDF* p) const { EVP_KDF_free(p); }
};
struct KdfCtxFree {
    void operator()(EVP_KDF_CTX* p) const { EVP_KDF_CTX_free(p); }
};
struct MacFree {
    void operator()(EVP_MAC* p) const { EVP_MAC_free(p); }
};
struct MacCtxFree {
    void operator()(EVP_MAC_CTX* p) const { EVP_MAC_CTX_free(p); }
};

[[noreturn]] void fail(const std::string& what) {
    throw AgeError(what + ": " + openssl_errors());
}

std::unique_ptr<EVP_PKEY, PkeyFree> x25519_private(std::span<const std::uint8_t, 32> secret) {
    std::unique_ptr<EVP_PKEY, PkeyFree> key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, secret.data(), secret.size()));
    if (!key) {
        fail("X25519 private key");
    }
    return key;
}

void kdf_derive(const char* name, const OSSL_PARAM* params, std::span<std::uint8_t> out) {
    std::unique_ptr<EVP_KDF, KdfFree> kdf(EVP_KDF_fetch(nullptr, name, nullptr));
    if (!kdf) {
        fail(std::string("fetching ") + name);
    }
    std::unique_ptr<EVP_KDF_CTX, KdfCtxFree> ctx(EVP_KDF_CTX_new(kdf.get()));
    if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
        fail(name);
    }
}

} // namespace

std::string openssl_errors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        char buffer[256];
        ERR_error_string_n(code, buffer, sizeof buffer);
        if (!text.empty()) {
            text += "; ";
        }
        text += buffer;
    }
    return text.empty() ? "OpenSSL gave no reason" : text;
}

std::uint64_t scrypt_memory_bytes(int log_n) {
    // V is 128 * r * N bytes, B is 128 * r * p, XY 256 * r: round up by a MiB for the rest.
    return std::uint64_t{128} * 8 * (std::uint64_t{1} << log_n) + (std::uint64_t{1} << 20);
}

void random_bytes(std::span<std::uint8_t> out) {
    if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
        fail("RAND_bytes");
    }
}

PublicKey x25519_public_key(std::span<const std::uint8_t, 32> secret) {
    auto key = x25519_private(secret);
    PublicKey public_key;
    std::size_t length = public_key.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), public_key.data(), &length) != 1 ||
        length != public_key.size()) {
        fail("X25519 public key");
    }
    return public_key;
}

bool x25519_shared_secret(std::span<const std::uint8_t, 32> secret, const PublicKey& peer,
                          SymmetricKey& shared) {
    auto key = x25519_private(secret);
    std::unique_ptr<EVP_PKEY, PkeyFree> peer_key(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, peer.data(), peer.size()));
    if (!peer_key) {
        fail("X25519 peer key");
    }
    std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(
        EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
    if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
        EVP_PKEY_derive_set_peer(ctx.get(), peer_key.get()) != 1) {
        fail("X25519 key agreement");
    }
    std::size_t length = shared.size();
    if (EVP_PKEY_derive(ctx.get(), shared.data(), &length) != 1) {
        // OpenSSL refuses an all-zero result (a low-order peer point) here: that is exactly
        // the case age rejects, so it is an answer, not an internal error.
        ERR_clear_error();
        return false;
    }
    std::uint8_t any = 0;
    for (std::uint8_t b : shared.span()) {
        any |= b;
    }
    return length == shared.size() && any != 0;
}

void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out) {
    OSSL_PARAM params[5];
    OSSL_PARAM* p = params;
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, const_cast<char*>("SHA256"), 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                             const_cast<std::uint8_t*>(ikm.data()), ikm.size());
    if (!salt.empty()) {
        *p++ = OSSL_PARAM_construct_octet_string(
            OSSL_KDF_PARAM_SALT, const_cast<std::uint8_t*>(salt.data()), salt.size());
    }
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                             info.size());
    *p = OSSL_PARAM_construct_end();
    kdf_derive(OSSL_KDF_NAME_HKDF, params, out);
}

void hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                 std::span<std::uint8_t, 32> out) {
    std::unique_ptr<EVP_MAC, MacFree> mac(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr));
    if (!mac) {
        fail("fetching HMAC");
    }
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac.get()));
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    std::size_t length = 0;
    if (!ctx || EVP_MAC_init(ctx.get(), key.data(), key.size(), params) != 1 ||
        EVP_MAC_update(ctx.get(), data.data(), data.size()) != 1 ||
        EVP_MAC_final(ctx.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
        fail("HMAC-SHA-256");
    }
}

void scrypt_derive(std::string_view passphrase, std::span<const std::uint8_t> salt, int log_n,
                   std::span<std::uint8_t> out) {
    if (log_n < 1 || log_n > max_scrypt_work_factor) {
        throw AgeError("scrypt work factor " + std::to_string(log_n) + " is outside 1.." +
                       std::to_string(max_scrypt_work_factor));
    }
    std::uint64_t n = std::uint64_t{1} << log_n;
    std::uint32_t r = 8;
    std::uint32_t parallel = 1;
    std::uint64_t maxmem = scrypt_memory_bytes(log_n);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                          const_cast<char*>(passphrase.data()), passphrase.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                          const_cast<std::uint8_t*>(salt.data()), salt.size()),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_N, &n),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_R, &r),
        OSSL_PARAM_construct_uint32(OSSL_KDF_PARAM_SCRYPT_P, &parallel),
        OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_SCRYPT_MAXMEM, &maxmem),
        OSSL_PARAM_construct_end()};
    kdf_derive(OSSL_KDF_NAME_SCRYPT, params, out);
}

} // namespace offstage::age
