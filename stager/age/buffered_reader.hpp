// A read buffer over a ByteSource with the line-oriented reads the age header and the armor
// need. Lines are bounded (a hostile input cannot make us buffer without end); bulk reads
// larger than the buffer go straight to the source.
#pragma once

#include "platform/byte_stream.hpp"

#include <cstddef>
#include <string>
#include <vector>

namespace offstage::age {

class BufferedReader : public platform::ByteSource {
public:
    enum class LineEnd {
        newline,     // the line ended with '\n' (not included in `line`)
        end_of_data, // the data ended after at least one byte without a '\n'
        none,        // the data had already ended: no line at all
        too_long,    // more than `max_length` bytes without a '\n'
    };

    explicit BufferedReader(platform::ByteSource& source, std::size_t buffer_size = 64 * 1024);

    // Reads one line into `line` (which is cleared first).
    LineEnd read_line(std::string& line, std::size_t max_length);
    // The next byte without consuming it, or -1 at the end of the data.
    int peek();
    void skip(std::size_t count); // at most what peek()/the buffer holds
    std::size_t read(std::span<std::byte> buffer) override;

private:
    bool fill(); // false at the end of the data

    platform::ByteSource& source_;
    std::vector<std::byte> buffer_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    bool ended_ = false;
};

} // namespace offstage::age
