// The age header (age-encryption.org/v1): the version line, recipient stanzas, and the MAC
// line. parse() accepts exactly the canonical form the spec allows and keeps the bytes the MAC
// covers; encode_without_mac() writes that form. Nothing here knows any key.
#pragma once

#include "stager/age/buffered_reader.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace offstage::age {

struct Stanza {
    std::string type;              // the first argument ("X25519", "scrypt", or unknown)
    std::vector<std::string> args; // the other arguments
    std::vector<std::uint8_t> body;
};

class Header {
public:
    static constexpr std::string_view version_line = "age-encryption.org/v1";
    // The largest header, from the version line through the newline after the MAC, that
    // parse() reads (a hostile header stays bounded) and so the largest Encryptor writes:
    // offstage never writes what it cannot read back. 1 MiB holds 10,699 X25519 recipients.
    static constexpr std::size_t max_size = 1024 * 1024;
    static constexpr const char* max_size_text = "1 MiB";
    // What a header holds besides its stanzas: the version line and the MAC line.
    static constexpr std::size_t frame_size = version_line.size() + 1 + 4 + 43 + 1;
    // The bytes `stanza` takes in a header, as encode_without_mac() writes it.
    static std::size_t encoded_size(const Stanza& stanza);

    // Reads the header up to and including the MAC line; `in` is then at the payload.
    // Throws AgeError(header) naming the offending line number.
    static Header parse(BufferedReader& in);

    // "age-encryption.org/v1\n" + stanzas + "---": the bytes the header MAC covers.
    static std::string encode_without_mac(const std::vector<Stanza>& stanzas);

    const std::vector<Stanza>& stanzas() const { return stanzas_; }
    const std::array<std::uint8_t, 32>& mac() const { return mac_; }
    const std::string& mac_input() const { return mac_input_; }

private:
    std::vector<Stanza> stanzas_;
    std::array<std::uint8_t, 32> mac_{};
    std::string mac_input_;
};

} // namespace offstage::age
