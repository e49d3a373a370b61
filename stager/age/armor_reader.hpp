// Reads age's ASCII armor (the strict PEM-like form of the spec): optional whitespace, the
// BEGIN line, 64-column padded base64 lines with only the last one short, the END line,
// optional whitespace (at most 1 KiB each side). Anything else throws AgeError(armor).
// Yields the binary age file inside, line by line (bounded memory).
#pragma once

#include "stager/age/buffered_reader.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace offstage::age {

class ArmorReader : public platform::ByteSource {
public:
    explicit ArmorReader(BufferedReader& in)
        : in_(in) {}
    std::size_t read(std::span<std::byte> buffer) override;

private:
    bool next_line(); // decodes one more line into decoded_; false at the END line
    BufferedReader::LineEnd get_line();
    void drain_trailing();

    BufferedReader& in_;
    std::string line_;
    std::array<std::uint8_t, 48> decoded_{};
    std::size_t decoded_begin_ = 0;
    std::size_t decoded_end_ = 0;
    bool started_ = false;
    bool done_ = false;
};

} // namespace offstage::age
