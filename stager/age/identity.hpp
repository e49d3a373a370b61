// An X25519 age identity: the secret half of a key, written "AGE-SECRET-KEY-1..." in Bech32,
// as age-keygen writes it. The secret is wiped (OPENSSL_cleanse) whenever an object dies.
#pragma once

#include "stager/age/recipient.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::age {

class X25519Identity {
public:
    static X25519Identity generate(); // from the OpenSSL CSPRNG
    // Throws AgeError; the message never contains the secret.
    static X25519Identity parse(std::string_view secret);

    X25519Identity(const X25519Identity& other);
    X25519Identity& operator=(const X25519Identity& other);
    ~X25519Identity();

    X25519Recipient recipient() const;
    std::string to_string() const; // "AGE-SECRET-KEY-1..." (uppercase, as age-keygen writes it)
    const std::array<std::uint8_t, 32>& secret_key() const { return secret_; }

private:
    explicit X25519Identity(const std::array<std::uint8_t, 32>& secret)
        : secret_(secret) {}
    std::array<std::uint8_t, 32> secret_;
};

// Identities from a file in age-keygen's format (one per line, '#' comments and blank lines
// allowed); errors name file:line and never quote the line. A file with none is an error.
std::vector<X25519Identity> load_identities_file(const std::filesystem::path& path);

} // namespace offstage::age
