#include "stager/age/recipient.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/bech32.hpp"

#include <fstream>

namespace offstage::age {
namespace {

constexpr std::string_view hrp = "age";

// Error messages quote at most the start of what they reject: enough to recognise it.
std::string prefix_of(std::string_view text) {
    return std::string(text.substr(0, 12)) + (text.size() > 12 ? "..." : "");
}

std::string_view trim(std::string_view text) {
    constexpr std::string_view space = " \t\r\n\v\f";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(space) - begin + 1);
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
    std::ifstream file(path);
    if (!file) {
        throw AgeError("cannot open recipients file " + path.string());
    }
    std::vector<X25519Recipient> recipients;
    std::string line;
    for (std::size_t number = 1; std::getline(file, line); ++number) {
        std::string_view text = trim(line);
        if (text.empty() || text.starts_with('#')) {
            continue;
        }
        try {
            recipients.push_back(X25519Recipient::parse(text));
        } catch (const AgeError& error) {
            throw AgeError(path.string() + ":" + std::to_string(number) + ": " + error.what());
        }
    }
    if (file.bad()) {
        throw AgeError("reading recipients file " + path.string() + " failed");
    }
    if (recipients.empty()) {
        throw AgeError(path.string() + ": no recipient in the file");
    }
    return recipients;
}

} // namespace offstage::age
