// The two ends of a byte pipeline (archive -> compression -> age -> file, and back).
// Implementations stream: they never need the whole content in memory.
#pragma once

#include <cstddef>
#include <span>

namespace offstage::platform {

// Accepts bytes in order. finish() marks the end of the stream and flushes everything
// (an encrypting sink writes its final chunk there); writing after finish() is an error.
// Errors are thrown as exceptions naming what failed.
class ByteSink {
public:
    virtual ~ByteSink() = default;
    virtual void write(std::span<const std::byte> bytes) = 0;
    virtual void finish() = 0;

    // Optional, to spare a copy: up to `size` bytes of space at the sink's write position, for a
    // producer that can fill memory in place (read(2) straight into it). The producer then
    // passes exactly the bytes it filled, from the start of that space, to write(), which takes
    // them without copying; until then nothing else may be written. Empty when the sink has no
    // such space: the producer writes from a buffer of its own.
    virtual std::span<std::byte> reserve(std::size_t size) {
        static_cast<void>(size);
        return {};
    }
};

// Yields bytes in order. read() fills at most `buffer.size()` bytes and returns how many;
// 0 means the end of the stream. A decrypting source throws instead of returning bytes it
// has not authenticated.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual std::size_t read(std::span<std::byte> buffer) = 0;
};

} // namespace offstage::platform
