#include "stager/age/identity.hpp"

#include "platform/bech32.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/key_file.hpp"
#include "stager/age/primitives.hpp"

#include <openssl/crypto.h>

namespace offstage::age {

using platform::decode_bech32;
using platform::encode_bech32;
namespace {

constexpr std::string_view hrp = "AGE-SECRET-KEY-";

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
    std::vector<X25519Identity> identities;
    read_key_file(path, "identity", [&identities](std::string_view text) {
        identities.push_back(X25519Identity::parse(text));
    });
    return identities;
}

} // namespace offstage::age
