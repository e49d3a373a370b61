// ByteSink and ByteSource over a file descriptor (a file, a pipe, stdin/stdout). They do not
// own the descriptor. Errors name the stream (e.g. "write /srv/x.age: No space left on device").
#pragma once

#include "platform/byte_stream.hpp"

#include <string>
#include <sys/types.h>

namespace offstage::platform {

class FdSink : public ByteSink {
public:
    FdSink(int fd, std::string name)
        : fd_(fd)
        , name_(std::move(name)) {}
    void write(std::span<const std::byte> bytes) override; // writes all of it, retrying EINTR
    void finish() override {}
    const std::string& name() const { return name_; }

private:
    int fd_;
    std::string name_;
};

class FdSource : public ByteSource {
public:
    FdSource(int fd, std::string name)
        : fd_(fd)
        , name_(std::move(name)) {}
    std::size_t read(std::span<std::byte> buffer) override; // one read(2), retrying EINTR
    const std::string& name() const { return name_; }

private:
    int fd_;
    std::string name_;
};

// write(2) that turns a reader gone away into EPIPE without a SIGPIPE killing this process
// (offstage dies of SIGPIPE elsewhere, on purpose: platform/termination_signals): the signal is
// blocked for this thread around the call and, if the write raised it, taken off the queue.
// For a child's stdin (platform::ChildProcess, a dump's fed child).
ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size);

// Reads until `buffer` is full or the source ends; returns the number of bytes read.
std::size_t read_fully(ByteSource& source, std::span<std::byte> buffer);

} // namespace offstage::platform
