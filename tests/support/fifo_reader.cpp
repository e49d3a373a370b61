#include "tests/support/fifo_reader.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace offstage::test {

FifoReader::FifoReader(const std::filesystem::path& fifo) {
    // Non-blocking opens: a reader first, then the writer end, which needs a reader to exist.
    read_end_ = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (read_end_ < 0) {
        platform::throw_errno("open " + fifo.string() + " for reading");
    }
    held_write_end_ = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (held_write_end_ < 0) {
        int error = errno;
        ::close(read_end_);
        platform::throw_errno(error, "open " + fifo.string() + " for writing");
    }
    ::fcntl(read_end_, F_SETFL, 0); // blocking reads from here on
    thread_ = std::thread([this] {
        char buffer[65536];
        ssize_t got;
        while ((got = ::read(read_end_, buffer, sizeof buffer)) != 0) {
            if (got > 0) {
                data_.append(buffer, static_cast<std::size_t>(got));
            } else if (errno != EINTR) {
                break;
            }
        }
    });
}

FifoReader::~FifoReader() {
    finish();
}

std::string FifoReader::finish() {
    if (held_write_end_ >= 0) {
        ::close(std::exchange(held_write_end_, -1));
    }
    if (thread_.joinable()) {
        thread_.join();
    }
    if (read_end_ >= 0) {
        ::close(std::exchange(read_end_, -1));
    }
    return data_;
}

} // namespace offstage::test
