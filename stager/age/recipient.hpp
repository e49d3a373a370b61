// An X25519 age recipient: the public half of a key, written "age1..." in Bech32. Holds only
// public data; parse() accepts exactly the strings age accepts (lowercase, valid checksum).
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::age {

class X25519Recipient {
public:
    // Throws AgeError naming the string's problem (never echoing more than its prefix).
    static X25519Recipient parse(std::string_view age1_bech32);
    explicit X25519Recipient(const std::array<std::uint8_t, 32>& public_key)
        : public_key_(public_key) {}

    std::string to_string() const; // "age1..."
    const std::array<std::uint8_t, 32>& public_key() const { return public_key_; }
    bool operator==(const X25519Recipient&) const = default;

private:
    std::array<std::uint8_t, 32> public_key_;
};

// Recipients from a file: one per line, '#' comments and blank lines allowed; errors name
// file:line. A file with no recipient at all is an error too (an empty list would encrypt to
// nobody).
std::vector<X25519Recipient> load_recipients_file(const std::filesystem::path& path);

} // namespace offstage::age
