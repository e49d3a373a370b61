// The cryptographic primitives of age, each a thin call into OpenSSL 3's EVP interfaces
// (X25519 via EVP_PKEY, HKDF and scrypt via EVP_KDF, HMAC via EVP_MAC, RAND_bytes). Nothing
// here is home-made; failures throw AgeError naming the primitive and OpenSSL's reason.
#pragma once

#include "stager/age/secret_bytes.hpp"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace offstage::age {

using PublicKey = std::array<std::uint8_t, 32>;

// scrypt's memory for age's parameters (r = 8, p = 1): 128 * r * 2^log_n bytes, plus slack.
constexpr int max_scrypt_work_factor = 22; // age itself refuses more
std::uint64_t scrypt_memory_bytes(int log_n);

void random_bytes(std::span<std::uint8_t> out);

// The public key of an X25519 secret (scalar multiplication by the base point).
PublicKey x25519_public_key(std::span<const std::uint8_t, 32> secret);

// X25519(secret, peer). Returns false when the result is the all-zero value (a low-order
// peer point), which age treats as an invalid stanza.
bool x25519_shared_secret(std::span<const std::uint8_t, 32> secret, const PublicKey& peer,
                          SymmetricKey& shared);

// HKDF-SHA-256. An empty salt is left out (OpenSSL 3.0.17+ rejects a (NULL, 0) salt; HKDF
// treats a missing salt as the all-zero one, as age's empty salt means).
void hkdf_sha256(std::span<const std::uint8_t> ikm, std::span<const std::uint8_t> salt,
                 std::string_view info, std::span<std::uint8_t> out);

void hmac_sha256(std::span<const std::uint8_t> key, std::span<const std::uint8_t> data,
                 std::span<std::uint8_t, 32> out);

// scrypt(passphrase, salt, N = 2^log_n, r = 8, p = 1) with OpenSSL's maxmem set to exactly
// what that needs (its default of about 1 GiB would fail work factors 21 and 22).
void scrypt_derive(std::string_view passphrase, std::span<const std::uint8_t> salt, int log_n,
                   std::span<std::uint8_t> out);

// OpenSSL's queued error reasons as one string (and the queue cleared).
std::string openssl_errors();

} // namespace offstage::age
