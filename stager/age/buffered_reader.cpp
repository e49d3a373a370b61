#include "stager/age/buffered_reader.hpp"

#include <algorithm>
#include <cstring>

namespace offstage::age {

BufferedReader::BufferedReader(platform::ByteSource& source, std::size_t buffer_size)
    : source_(source)
    , buffer_(buffer_size) {}

bool BufferedReader::fill() {
    if (begin_ < end_) {
        return true;
    }
    if (ended_) {
        return false;
    }
    begin_ = 0;
    end_ = source_.read(buffer_);
    if (end_ == 0) {
        ended_ = true;
        return false;
    }
    return true;
}

BufferedReader::LineEnd BufferedReader::read_line(std::string& line, std::size_t max_length) {
    line.clear();
    while (fill()) {
        const auto* start = reinterpret_cast<const char*>(buffer_.data() + begin_);
        std::size_t available = end_ - begin_;
        const void* found = std::memchr(start, '\n', available);
        std::size_t take =
            found ? static_cast<std::size_t>(static_cast<const char*>(found) - start) : available;
        if (line.size() + take > max_length) {
            return LineEnd::too_long;
        }
        line.append(start, take);
        begin_ += take;
        if (found) {
            ++begin_;
            return LineEnd::newline;
        }
    }
    return line.empty() ? LineEnd::none : LineEnd::end_of_data;
}

int BufferedReader::peek() {
    if (!fill()) {
        return -1;
    }
    return std::to_integer<int>(buffer_[begin_]);
}

void BufferedReader::skip(std::size_t count) {
    begin_ += std::min(count, end_ - begin_);
}

std::size_t BufferedReader::read(std::span<std::byte> buffer) {
    if (buffer.empty()) {
        return 0;
    }
    if (begin_ < end_) {
        std::size_t take = std::min(buffer.size(), end_ - begin_);
        std::memcpy(buffer.data(), buffer_.data() + begin_, take);
        begin_ += take;
        return take;
    }
    if (ended_) {
        return 0;
    }
    if (buffer.size() >= buffer_.size()) {
        std::size_t got = source_.read(buffer);
        ended_ = got == 0;
        return got;
    }
    if (!fill()) {
        return 0;
    }
    return read(buffer);
}

} // namespace offstage::age
