// In-memory ByteSink/ByteSource for the age tests, plus hashing and random data helpers.
#pragma once

#include "platform/byte_stream.hpp"

#include <cstddef>
#include <string>

namespace offstage::test {

class StringSink : public platform::ByteSink {
public:
    void write(std::span<const std::byte> bytes) override;
    void finish() override { ++finished; }
    std::string data;
    int finished = 0;
};

// Yields `data` in reads of at most `step` bytes (small steps exercise buffer boundaries).
class StringSource : public platform::ByteSource {
public:
    explicit StringSource(std::string data, std::size_t step = SIZE_MAX)
        : data_(std::move(data))
        , step_(step) {}
    std::size_t read(std::span<std::byte> buffer) override;

private:
    std::string data_;
    std::size_t step_;
    std::size_t position_ = 0;
};

std::string sha256_hex(const std::string& data);
std::string random_string(std::size_t size);

} // namespace offstage::test
