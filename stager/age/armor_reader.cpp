#include "stager/age/armor_reader.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/armor.hpp"
#include "stager/age/base64.hpp"

#include <algorithm>
#include <cstring>

namespace offstage::age {
namespace {

constexpr std::size_t max_line = 4096;

bool is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool is_blank(const std::string& line) {
    return std::all_of(line.begin(), line.end(), [](char c) { return is_space(c); });
}

[[noreturn]] void fail(const std::string& what) {
    throw AgeError(AgeError::Kind::armor, "invalid armor: " + what);
}

} // namespace

// One line without its "\n" or "\r\n".
BufferedReader::LineEnd ArmorReader::get_line() {
    auto end = in_.read_line(line_, max_line);
    if (end == BufferedReader::LineEnd::too_long) {
        fail("line longer than " + std::to_string(max_line) + " bytes");
    }
    if (end == BufferedReader::LineEnd::none) {
        fail("the input ends before the END line");
    }
    if (!line_.empty() && line_.back() == '\r') {
        line_.pop_back();
    }
    return end;
}

void ArmorReader::drain_trailing() {
    std::size_t seen = 0;
    for (int c = in_.peek(); c >= 0; c = in_.peek()) {
        if (!is_space(static_cast<unsigned char>(c))) {
            fail("data after the END line");
        }
        if (++seen > armor::max_whitespace) {
            fail("more than 1 KiB of whitespace after the END line");
        }
        in_.skip(1);
    }
}

bool ArmorReader::next_line() {
    std::size_t whitespace = 0;
    while (!started_) {
        get_line();
        if (is_blank(line_)) {
            whitespace += line_.size() + 1;
            if (whitespace > armor::max_whitespace) {
                fail("more than 1 KiB of whitespace before the BEGIN line");
            }
            continue;
        }
        if (line_ != armor::begin_line) {
            fail("the first line is not \"" + std::string(armor::begin_line) + "\"");
        }
        started_ = true;
    }
    get_line();
    if (line_ == armor::end_line) {
        drain_trailing();
        return false;
    }
    if (line_.size() > armor::columns) {
        fail("a line is longer than 64 columns");
    }
    auto written = decode_base64_padded_into(line_, decoded_.data());
    if (!written) {
        fail("a line is not canonical padded base64");
    }
    decoded_begin_ = 0;
    decoded_end_ = *written;
    if (*written < armor::bytes_per_line) {
        // Only the last line may be short, so the END line must follow.
        get_line();
        if (line_ != armor::end_line) {
            fail("a short line is not followed by the END line");
        }
        drain_trailing();
        done_ = true;
    }
    return true;
}

std::size_t ArmorReader::read(std::span<std::byte> buffer) {
    std::size_t copied = 0;
    while (copied < buffer.size()) {
        if (decoded_begin_ == decoded_end_) {
            if (done_ || !next_line()) {
                done_ = true;
                break;
            }
            continue;
        }
        std::size_t take = std::min(buffer.size() - copied, decoded_end_ - decoded_begin_);
        std::memcpy(buffer.data() + copied, decoded_.data() + decoded_begin_, take);
        decoded_begin_ += take;
        copied += take;
    }
    return copied;
}

} // namespace offstage::age
