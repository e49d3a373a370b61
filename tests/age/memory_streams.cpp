#include "tests/age/memory_streams.hpp"

#include <algorithm>
#include <cstring>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdexcept>

namespace offstage::test {

void StringSink::write(std::span<const std::byte> bytes) {
    data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::size_t StringSource::read(std::span<std::byte> buffer) {
    std::size_t take = std::min({buffer.size(), data_.size() - position_, step_});
    std::memcpy(buffer.data(), data_.data() + position_, take);
    position_ += take;
    return take;
}

std::string sha256_hex(const std::string& data) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("EVP_Digest failed");
    }
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 15]);
    }
    return out;
}

std::string random_string(std::size_t size) {
    std::string data(size, '\0');
    if (size > 0 &&
        RAND_bytes(reinterpret_cast<unsigned char*>(data.data()), static_cast<int>(size)) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return data;
}

} // namespace offstage::test
