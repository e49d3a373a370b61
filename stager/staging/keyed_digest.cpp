#include "stager/staging/keyed_digest.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::staging {

struct KeyedDigestSink::Mac {
    EVP_MAC* mac = nullptr;
    EVP_MAC_CTX* context = nullptr;
    ~Mac() {
        EVP_MAC_CTX_free(context);
        EVP_MAC_free(mac);
    }
};

DigestKey load_or_create_digest_key(const std::filesystem::path& path) {
    DigestKey key{};
    platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd && errno == ENOENT) {
        if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
            throw std::runtime_error("digest key: OpenSSL's random generator failed");
        }
        platform::UniqueFd created(
            ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!created) {
            platform::throw_errno("create the digest key " + path.string());
        }
        if (::write(created.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size()) ||
            ::fsync(created.get()) != 0) {
            int error = errno;
            ::unlink(path.c_str());
            platform::throw_errno(error, "write the digest key " + path.string());
        }
        return key;
    }
    if (!fd) {
        platform::throw_errno("open the digest key " + path.string());
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode) || info.st_size != 32 ||
        (info.st_mode & 077) != 0) {
        throw std::system_error(EINVAL, std::generic_category(),
                                "the digest key " + path.string() +
                                    " must be a 32-byte regular file of mode 0600");
    }
    if (::read(fd.get(), key.data(), key.size()) != static_cast<ssize_t>(key.size())) {
        platform::throw_errno("read the digest key " + path.string());
    }
    return key;
}

KeyedDigestSink::KeyedDigestSink(const DigestKey& key)
    : mac_(std::make_unique<Mac>()) {
    mac_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    mac_->context = mac_->mac ? EVP_MAC_CTX_new(mac_->mac) : nullptr;
    char digest_name[] = "SHA256";
    OSSL_PARAM parameters[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_end()};
    if (mac_->context == nullptr ||
        EVP_MAC_init(mac_->context, key.data(), key.size(), parameters) != 1) {
        throw std::runtime_error("HMAC-SHA-256: OpenSSL could not start");
    }
}

KeyedDigestSink::~KeyedDigestSink() = default;

void KeyedDigestSink::write(std::span<const std::byte> bytes) {
    if (finished_ ||
        EVP_MAC_update(mac_->context, reinterpret_cast<const unsigned char*>(bytes.data()),
                       bytes.size()) != 1) {
        throw std::runtime_error("HMAC-SHA-256: update failed");
    }
}

void KeyedDigestSink::finish() {
    if (finished_) {
        return;
    }
    std::size_t size = 0;
    if (EVP_MAC_final(mac_->context, digest_.data(), &size, digest_.size()) != 1 ||
        size != digest_.size()) {
        throw std::runtime_error("HMAC-SHA-256: final failed");
    }
    finished_ = true;
}

} // namespace offstage::staging
