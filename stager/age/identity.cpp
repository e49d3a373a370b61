#include "stager/age/identity.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/bech32.hpp"
#include "stager/age/primitives.hpp"

#include <fstream>
#include <openssl/crypto.h>

namespace offstage::age {
namespace {

constexpr std::string_view hrp = "AGE-SECRET-KEY-";

std::string_view trim(std::string_view text) {
    constexpr std::string_view space = " \t\r\n\v\f";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

} // namespace

X25519Identity X25519Identity::generate() {
    std::array<std::uint8_t, 32> secret;
    random_bytes(secret);
    X25519Identity identity(secret);
    OPENSSL_cleanse(secret.data(), secret.size());
    return identity;
}

X25519Identity X25519Identity::parse(std::string_view secret) {
    // Never quote the string: it is (or nearly is) a secret key.
    auto decoded = decode_bech32(secret);
    if (!decoded) {
        throw AgeError("not a valid age identity (bad Bech32 encoding or checksum)");
    }
    if (decoded->hrp != hrp) {
        OPENSSL_cleanse(decoded->data.data(), decoded->data.size());
        throw AgeError("not an age X25519 identity (expected \"AGE-SECRET-KEY-1...\")");
    }
    if (decoded->data.size() != 32) {
        OPENSSL_cleanse(decoded->data.data(), decoded->data.size());
        throw AgeError("the age identity does not hold a 32-byte X25519 key");
    }
    std::array<std::uint8_t, 32> key;
    std::copy(decoded->data.begin(), decoded->data.end(), key.begin());
    OPENSSL_cleanse(decoded->data.data(), decoded->data.size());
    X25519Identity identity(key);
    OPENSSL_cleanse(key.data(), key.size());
    return identity;
}

X25519Identity::X25519Identity(const X25519Identity& other)
    : secret_(other.secret_) {}

X25519Identity& X25519Identity::operator=(const X25519Identity& other) {
    secret_ = other.secret_;
    return *this;
}

X25519Identity::~X25519Identity() {
    OPENSSL_cleanse(secret_.data(), secret_.size());
}

X25519Recipient X25519Identity::recipient() const {
    return X25519Recipient(x25519_public_key(secret_));
}

std::string X25519Identity::to_string() const {
    return encode_bech32(hrp, secret_, true);
}

std::vector<X25519Identity> load_identities_file(const std::filesystem::path& path) {
    std::ifstream file(path);
    if (!file) {
        throw AgeError("cannot open identity file " + path.string());
    }
    std::vector<X25519Identity> identities;
    std::string line;
    for (std::size_t number = 1; std::getline(file, line); ++number) {
        std::string_view text = trim(line);
        if (text.empty() || text.starts_with('#')) {
            OPENSSL_cleanse(line.data(), line.size());
            continue;
        }
        try {
            identities.push_back(X25519Identity::parse(text));
            OPENSSL_cleanse(line.data(), line.size());
        } catch (const AgeError& error) {
            OPENSSL_cleanse(line.data(), line.size());
            throw AgeError(path.string() + ":" + std::to_string(number) + ": " + error.what());
        }
    }
    if (file.bad()) {
        throw AgeError("reading identity file " + path.string() + " failed");
    }
    if (identities.empty()) {
        throw AgeError(path.string() + ": no identity in the file");
    }
    return identities;
}

} // namespace offstage::age
