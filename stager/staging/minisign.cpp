#include "stager/staging/minisign.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace offstage::staging {

namespace {

constexpr std::size_t signature_size = 64;

std::string openssl_reason() {
    unsigned long code = ERR_get_error();
    ERR_clear_error();
    if (code == 0) {
        return "unknown OpenSSL error";
    }
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    return text;
}

struct PkeyDeleter {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

std::string base64_encode(std::span<const std::uint8_t> bytes) {
    std::string text(4 * ((bytes.size() + 2) / 3), '\0');
    int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                                  static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(written));
    return text;
}

std::vector<std::uint8_t> base64_decode(std::string_view text, const char* what) {
    if (text.empty() || text.size() % 4 != 0 || text.size() > 4096) {
        throw SignatureError(std::string(what) + ": not base64");
    }
    std::vector<std::uint8_t> bytes(text.size() / 4 * 3);
    int written = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (written < 0) {
        throw SignatureError(std::string(what) + ": not base64");
    }
    // EVP_DecodeBlock counts the padding as zero bytes.
    std::size_t padding = text.ends_with("==") ? 2 : text.ends_with('=') ? 1 : 0;
    bytes.resize(static_cast<std::size_t>(written) - padding);
    return bytes;
}

std::array<std::uint8_t, 64> blake2b512(std::span<const std::uint8_t> message) {
    std::array<std::uint8_t, 64> digest{};
    unsigned int size = 0;
    if (EVP_Digest(message.data(), message.size(), digest.data(), &size, EVP_blake2b512(),
                   nullptr) != 1 ||
        size != digest.size()) {
        throw SignatureError("BLAKE2b-512: " + openssl_reason());
    }
    return digest;
}

std::array<std::uint8_t, signature_size> ed25519_sign(EVP_PKEY* key,
                                                      std::span<const std::uint8_t> message) {
    std::array<std::uint8_t, signature_size> signature{};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    std::size_t size = signature.size();
    if (!context || EVP_DigestSignInit(context.get(), nullptr, nullptr, nullptr, key) != 1 ||
        EVP_DigestSign(context.get(), signature.data(), &size, message.data(), message.size()) !=
            1 ||
        size != signature.size()) {
        throw SignatureError("Ed25519 signing: " + openssl_reason());
    }
    return signature;
}

bool ed25519_verify(const std::array<std::uint8_t, 32>& public_key,
                    std::span<const std::uint8_t> signature,
                    std::span<const std::uint8_t> message) {
    Pkey key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, public_key.data(),
                                         public_key.size()));
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    if (!key || !context ||
        EVP_DigestVerifyInit(context.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
        throw SignatureError("Ed25519 verification: " + openssl_reason());
    }
    bool good = EVP_DigestVerify(context.get(), signature.data(), signature.size(), message.data(),
                                 message.size()) == 1;
    ERR_clear_error();
    return good;
}

MinisignPublicKey public_key_of(EVP_PKEY* key) {
    MinisignPublicKey public_key;
    std::size_t size = public_key.key.size();
    if (EVP_PKEY_get_raw_public_key(key, public_key.key.data(), &size) != 1 ||
        size != public_key.key.size()) {
        throw SignatureError("Ed25519 public key: " + openssl_reason());
    }
    std::array<std::uint8_t, 32> digest{};
    unsigned int digest_size = 0;
    if (EVP_Digest(public_key.key.data(), public_key.key.size(), digest.data(), &digest_size,
                   EVP_sha256(), nullptr) != 1) {
        throw SignatureError("SHA-256: " + openssl_reason());
    }
    std::memcpy(public_key.key_id.data(), digest.data(), public_key.key_id.size());
    return public_key;
}

// The lines of a text, without their line ends (CR LF tolerated, as minisign does).
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (line.ends_with('\r')) {
            line.remove_suffix(1);
        }
        lines.push_back(line);
        if (end == std::string_view::npos) {
            break;
        }
        text.remove_prefix(end + 1);
    }
    return lines;
}

} // namespace

struct SigningKey::Key {
    Pkey pkey;
};

SigningKey::SigningKey(std::unique_ptr<Key> key)
    : key_(std::move(key))
    , public_key_(public_key_of(key_->pkey.get())) {}
SigningKey::~SigningKey() = default;
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;

std::string MinisignPublicKey::to_file_text() const {
    std::vector<std::uint8_t> bytes = {'E', 'd'};
    bytes.insert(bytes.end(), key_id.begin(), key_id.end());
    bytes.insert(bytes.end(), key.begin(), key.end());
    return "untrusted comment: minisign public key " + key_id_hex() + "\n" + base64_encode(bytes) +
           "\n";
}

std::string MinisignPublicKey::key_id_hex() const {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string text;
    for (auto byte = key_id.rbegin(); byte != key_id.rend(); ++byte) {
        text.push_back(hex[*byte >> 4]);
        text.push_back(hex[*byte & 0xf]);
    }
    return text;
}

MinisignPublicKey MinisignPublicKey::parse(std::string_view text) {
    std::vector<std::string_view> lines = lines_of(text);
    std::string_view encoded;
    if (lines.size() == 1) {
        encoded = lines[0];
    } else if (lines.size() >= 2 && lines[0].starts_with("untrusted comment:")) {
        encoded = lines[1];
    } else {
        throw SignatureError("public key: expected minisign's two lines (untrusted comment, "
                             "base64 key)");
    }
    std::vector<std::uint8_t> bytes = base64_decode(encoded, "public key");
    if (bytes.size() != 42 || bytes[0] != 'E' || bytes[1] != 'd') {
        throw SignatureError("public key: not a minisign Ed25519 public key");
    }
    MinisignPublicKey key;
    std::memcpy(key.key_id.data(), bytes.data() + 2, 8);
    std::memcpy(key.key.data(), bytes.data() + 10, 32);
    return key;
}

SigningKey SigningKey::create(const std::filesystem::path& path) {
    Pkey pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!pkey) {
        throw SignatureError("generate an Ed25519 key: " + openssl_reason());
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "create the signing key " + path.string());
    }
    FILE* file = ::fdopen(fd, "w");
    if (file == nullptr) {
        int error = errno;
        ::close(fd);
        ::unlink(path.c_str());
        throw std::system_error(error, std::generic_category(),
                                "create the signing key " + path.string());
    }
    bool written =
        PEM_write_PrivateKey(file, pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1 &&
        std::fflush(file) == 0 && ::fsync(fd) == 0;
    bool closed = std::fclose(file) == 0;
    if (!written || !closed) {
        ::unlink(path.c_str());
        throw SignatureError("write the signing key " + path.string() + ": " + openssl_reason());
    }
    return SigningKey(std::make_unique<Key>(Key{std::move(pkey)}));
}

SigningKey SigningKey::load(const std::filesystem::path& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        throw SignatureError("signing key " + path.string() + ": " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        throw SignatureError("signing key " + path.string() + ": not a regular file");
    }
    if ((info.st_mode & 077) != 0) {
        ::close(fd);
        throw SignatureError("signing key " + path.string() +
                             ": readable or writable by group or others (chmod 0600 it)");
    }
    FILE* file = ::fdopen(fd, "r");
    if (file == nullptr) {
        ::close(fd);
        throw SignatureError("signing key " + path.string() + ": " + std::strerror(errno));
    }
    Pkey pkey(PEM_read_PrivateKey(file, nullptr, nullptr, nullptr));
    std::fclose(file);
    if (!pkey || EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_ED25519) {
        ERR_clear_error();
        throw SignatureError("signing key " + path.string() +
                             ": not an Ed25519 private key in PEM");
    }
    return SigningKey(std::make_unique<Key>(Key{std::move(pkey)}));
}

std::string SigningKey::sign(std::span<const std::uint8_t> message,
                             std::string_view trusted_comment,
                             std::string_view untrusted_comment) const {
    if (trusted_comment.find_first_of("\r\n") != std::string_view::npos ||
        untrusted_comment.find_first_of("\r\n") != std::string_view::npos) {
        throw SignatureError("a signature comment must be one line");
    }
    std::array<std::uint8_t, 64> digest = blake2b512(message);
    std::array<std::uint8_t, signature_size> signature = ed25519_sign(key_->pkey.get(), digest);
    std::vector<std::uint8_t> signed_comment(signature.begin(), signature.end());
    signed_comment.insert(signed_comment.end(), trusted_comment.begin(), trusted_comment.end());
    std::array<std::uint8_t, signature_size> global =
        ed25519_sign(key_->pkey.get(), signed_comment);

    std::vector<std::uint8_t> line = {'E', 'D'};
    line.insert(line.end(), public_key_.key_id.begin(), public_key_.key_id.end());
    line.insert(line.end(), signature.begin(), signature.end());
    return "untrusted comment: " + std::string(untrusted_comment) + "\n" + base64_encode(line) +
           "\ntrusted comment: " + std::string(trusted_comment) + "\n" + base64_encode(global) +
           "\n";
}

std::string verify_minisign(const MinisignPublicKey& key, std::string_view signature_text,
                            std::span<const std::uint8_t> message) {
    std::vector<std::string_view> lines = lines_of(signature_text);
    constexpr std::string_view untrusted = "untrusted comment:";
    constexpr std::string_view trusted = "trusted comment: ";
    if (lines.size() < 4 || !lines[0].starts_with(untrusted) || !lines[2].starts_with(trusted)) {
        throw SignatureError("signature: not minisign's four lines");
    }
    std::vector<std::uint8_t> line = base64_decode(lines[1], "signature");
    if (line.size() != 2 + 8 + signature_size) {
        throw SignatureError("signature: wrong length");
    }
    bool prehashed = line[0] == 'E' && line[1] == 'D';
    if (!prehashed && !(line[0] == 'E' && line[1] == 'd')) {
        throw SignatureError("signature: not an Ed25519 signature");
    }
    if (!std::equal(key.key_id.begin(), key.key_id.end(), line.begin() + 2)) {
        throw SignatureError("signature: made with another key (key id differs)");
    }
    std::span<const std::uint8_t> signature(line.data() + 10, signature_size);
    bool good = prehashed ? ed25519_verify(key.key, signature, blake2b512(message))
                          : ed25519_verify(key.key, signature, message);
    if (!good) {
        throw SignatureError("signature: does not match the signed file");
    }
    std::string_view comment = lines[2].substr(trusted.size());
    std::vector<std::uint8_t> global = base64_decode(lines[3], "global signature");
    if (global.size() != signature_size) {
        throw SignatureError("global signature: wrong length");
    }
    std::vector<std::uint8_t> signed_comment(signature.begin(), signature.end());
    signed_comment.insert(signed_comment.end(), comment.begin(), comment.end());
    if (!ed25519_verify(key.key, global, signed_comment)) {
        throw SignatureError("signature: the trusted comment was altered");
    }
    return std::string(comment);
}

} // namespace offstage::staging
