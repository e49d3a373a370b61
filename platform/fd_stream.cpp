#include "platform/fd_stream.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <unistd.h>

namespace offstage::platform {

void FdSink::write(std::span<const std::byte> bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd_, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw_errno("write " + name_);
        }
        bytes = bytes.subspan(static_cast<std::size_t>(n));
    }
}

std::size_t FdSource::read(std::span<std::byte> buffer) {
    for (;;) {
        ssize_t n = ::read(fd_, buffer.data(), buffer.size());
        if (n >= 0) {
            return static_cast<std::size_t>(n);
        }
        if (errno != EINTR) {
            throw_errno("read " + name_);
        }
    }
}

std::size_t read_fully(ByteSource& source, std::span<std::byte> buffer) {
    std::size_t total = 0;
    while (total < buffer.size()) {
        std::size_t n = source.read(buffer.subspan(total));
        if (n == 0) {
            break;
        }
        total += n;
    }
    return total;
}

} // namespace offstage::platform
