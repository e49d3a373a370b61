#include "stager/age/recipient.hpp"

#include "platform/bech32.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/key_file.hpp"

namespace offstage::age {

using platform::decode_bech32;
using platform::encode_bech32;
namespace {

constexpr std::string_view hrp = "age";

// Error messages quote at most the start of what they reject: enough to recognise it.
std::string prefix_of(std::string_view text) {
    return std::string(text.substr(0, 12)) + (text.size() > 12 ? "..." : "");
}

} // namespace

X25519Recipient X25519Recipient::parse(std::string_view age1_bech32) {
    auto decoded = decode_bech32(age1_bech32);
    if (!decoded) {
        throw AgeError("\"" + prefix_of(age1_bech32) +
                       "\" is not a valid age recipient (bad Bech32 or checksum)");
    }
    if (decoded->hrp != hrp) {
        throw AgeError("\"" + prefix_of(age1_bech32) +
                       "\" is not an age X25519 recipient (expected \"age1...\")");
    }
    if (decoded->data.size() != 32) {
        throw AgeError("\"" + prefix_of(age1_bech32) + "\" does not hold a 32-byte X25519 key");
    }
    std::array<std::uint8_t, 32> key;
    std::copy(decoded->data.begin(), decoded->data.end(), key.begin());
    return X25519Recipient(key);
}

std::string X25519Recipient::to_string() const {
    return encode_bech32(hrp, public_key_);
}

std::vector<X25519Recipient> load_recipients_file(const std::filesystem::path& path) {
    std::vector<X25519Recipient> recipients;
    read_key_file(path, "recipient", [&recipients](std::string_view text) {
        recipients.push_back(X25519Recipient::parse(text));
    });
    return recipients;
}

} // namespace offstage::age
