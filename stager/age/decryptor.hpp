// Reads an age file (binary or ASCII-armored, detected) from a ByteSource and yields its
// plaintext. It never yields a byte it has not authenticated: each chunk is held until its tag
// verifies, and the end of the stream (read() == 0) is reported only after the final chunk
// verified. Memory is bounded (one chunk).
#pragma once

#include "platform/byte_stream.hpp"
#include "stager/age/identity.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offstage::age {

struct DecryptOptions {
    std::vector<X25519Identity> identities;
    std::optional<std::string> passphrase;
    // scrypt needs 128 * 8 * 2^work_factor bytes: 20 -> 1 GiB, 22 (age's own cap) -> 4 GiB.
    // A header asking for more is refused before any allocation; scrypt only ever runs when a
    // passphrase was given. age writes 18 (256 MiB) by default. Never above 22.
    int max_scrypt_work_factor = 20;
    // nullopt: detect (armor when the input starts with optional whitespace then '-');
    // true/false: require that form (the testkit's "armored: yes" vectors use true).
    std::optional<bool> armored;
};

// The header is read and the file key unwrapped at construction, so a wrong key or a broken
// header throws there, before any output exists. Every failure is an AgeError naming `name`
// and what failed (header, header MAC, no matching identity, chunk N tag, truncation).
class Decryptor : public platform::ByteSource {
public:
    Decryptor(const DecryptOptions& options, platform::ByteSource& in, std::string name);
    ~Decryptor() override;
    Decryptor(const Decryptor&) = delete;
    Decryptor& operator=(const Decryptor&) = delete;

    std::size_t read(std::span<std::byte> buffer) override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace offstage::age
