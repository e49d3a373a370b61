// Writes the age format (age-encryption.org/v1) to a ByteSink as bytes arrive: the header at
// construction, then 64 KiB STREAM chunks, sealed in the caller or, with threads > 1, on a pool
// of threads (ParallelSealer) that writes them in order: the bytes are the same either way.
// Memory is bounded (one output block, or (threads + 2) x 2 MiB) whatever the size of the
// plaintext; the file key and payload key are wiped when done.
#pragma once

#include "platform/byte_stream.hpp"
#include "stager/age/recipient.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offstage::age {

struct EncryptOptions {
    std::vector<X25519Recipient> recipients;
    std::optional<std::string> passphrase; // scrypt recipient: then it must be the only one
    int scrypt_work_factor = 18;           // log2(N); 1..22 accepted
    bool armor = false;                    // PEM-style ASCII armor around the whole file
    int threads = 1; // threads sealing chunks; 1: in the caller (then `out` is written from
                     // the caller only), more: `out` is written from those threads, in order
};

// Throws AgeError for invalid options (no recipient, passphrase mixed with recipients) and
// passes on whatever `out` throws. finish() seals the final chunk and calls out.finish();
// write() after finish() throws.
class Encryptor : public platform::ByteSink {
public:
    Encryptor(const EncryptOptions& options, platform::ByteSink& out);
    ~Encryptor() override;
    Encryptor(const Encryptor&) = delete;
    Encryptor& operator=(const Encryptor&) = delete;

    void write(std::span<const std::byte> bytes) override;
    void finish() override;

private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace offstage::age
