// Ed25519 signatures in minisign's format (docs/staging-tree.md, "SHA256SUMS.minisig"), on
// OpenSSL 3: Debian's `minisign -V` verifies what SigningKey::sign writes, and
// verify_minisign checks it off-host with nothing but the public key.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace offstage::staging {

class SignatureError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

using MinisignKeyId = std::array<std::uint8_t, 8>;

struct MinisignPublicKey {
    MinisignKeyId key_id{};
    std::array<std::uint8_t, 32> key{};

    // The two-line file minisign reads with -p ("untrusted comment: ...", base64 line).
    std::string to_file_text() const;
    // Reads that file's text (or the base64 line alone, as `minisign -P` takes it). Throws
    // SignatureError.
    static MinisignPublicKey parse(std::string_view text);
    // minisign's way of printing the id: upper-case hex of the bytes in reverse order.
    std::string key_id_hex() const;
};

// The host's signing key: an Ed25519 private key in a PKCS#8 PEM file, 0600, never
// overwritten. Its minisign key id is the first 8 bytes of SHA-256 of the public key.
class SigningKey {
public:
    // Creates the key file (and nothing else: the directory must exist); EEXIST if present.
    static SigningKey create(const std::filesystem::path& path);
    // Throws SignatureError naming the file when it is missing, unreadable, not a private
    // Ed25519 key, or readable by group or others.
    static SigningKey load(const std::filesystem::path& path);

    const MinisignPublicKey& public_key() const { return public_key_; }

    // The whole .minisig text for `message`. `trusted_comment` is signed too and must be one
    // line; `untrusted_comment` is not signed.
    std::string sign(std::span<const std::uint8_t> message, std::string_view trusted_comment,
                     std::string_view untrusted_comment) const;

    ~SigningKey();
    SigningKey(SigningKey&&) noexcept;
    SigningKey& operator=(SigningKey&&) noexcept;

private:
    struct Key;
    explicit SigningKey(std::unique_ptr<Key> key);
    std::unique_ptr<Key> key_;
    MinisignPublicKey public_key_;
};

// Checks a .minisig text against `message` and returns its trusted comment. Throws
// SignatureError saying what did not hold: the format, the key id, the signature, the
// global signature over the trusted comment.
std::string verify_minisign(const MinisignPublicKey& key, std::string_view signature_text,
                            std::span<const std::uint8_t> message);

} // namespace offstage::staging
