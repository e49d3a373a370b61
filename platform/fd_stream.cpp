#include "platform/fd_stream.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace offstage::platform {

ssize_t write_without_sigpipe(int fd, const char* data, std::size_t size) {
    sigset_t pipe_only;
    ::sigemptyset(&pipe_only);
    ::sigaddset(&pipe_only, SIGPIPE);
    sigset_t pending;
    ::sigemptyset(&pending);
    ::sigpending(&pending);
    const bool was_pending = ::sigismember(&pending, SIGPIPE) == 1;
    sigset_t saved;
    ::pthread_sigmask(SIG_BLOCK, &pipe_only, &saved);
    ssize_t written = ::write(fd, data, size);
    int error = errno;
    if (written < 0 && error == EPIPE && !was_pending) {
        timespec no_wait{};
        while (::sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
        }
    }
    ::pthread_sigmask(SIG_SETMASK, &saved, nullptr);
    errno = error;
    return written;
}

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
