#include "stager/restore/hashing_source.hpp"

#include <openssl/evp.h>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace offstage::restore {

HashingSource::HashingSource(int fd, const std::string& name)
    : file_(fd, name)
    , context_(EVP_MD_CTX_new()) {
    if (context_ == nullptr || EVP_DigestInit_ex(context_, EVP_sha256(), nullptr) != 1) {
        EVP_MD_CTX_free(context_);
        throw std::runtime_error("OpenSSL: cannot start a SHA-256 digest");
    }
}

HashingSource::~HashingSource() {
    EVP_MD_CTX_free(context_);
}

std::size_t HashingSource::read(std::span<std::byte> buffer) {
    std::size_t got = 0;
    try {
        got = file_.read(buffer);
    } catch (const std::system_error&) {
        io_failure_ = std::current_exception();
        throw;
    }
    EVP_DigestUpdate(context_, buffer.data(), got);
    bytes_ += got;
    return got;
}

staging::Sha256Digest HashingSource::finish() {
    std::vector<std::byte> rest(1 << 20);
    while (read(rest) > 0) {
    }
    staging::Sha256Digest digest{};
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_, digest.data(), &size);
    return digest;
}

} // namespace offstage::restore
