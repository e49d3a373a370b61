#include "tests/e2e/held_flock.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

namespace offstage::e2e {

HeldFlock::HeldFlock(const std::filesystem::path& file) {
    int ready[2];
    if (::pipe2(ready, O_CLOEXEC) != 0) {
        throw std::runtime_error(std::string("HeldFlock: pipe: ") + std::strerror(errno));
    }
    holder_ = ::fork();
    if (holder_ < 0) {
        const int error = errno;
        ::close(ready[0]);
        ::close(ready[1]);
        throw std::runtime_error(std::string("HeldFlock: fork: ") + std::strerror(error));
    }
    if (holder_ == 0) {
        // Only async-signal-safe calls from here: the test process may have threads.
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        const char held = (fd >= 0 && ::flock(fd, LOCK_EX) == 0) ? 'y' : 'n';
        [[maybe_unused]] const ssize_t written = ::write(ready[1], &held, 1);
        if (held == 'y') {
            for (;;) {
                ::pause();
            }
        }
        ::_exit(1);
    }
    ::close(ready[1]);
    char held = 'n';
    ssize_t got = 0;
    do {
        got = ::read(ready[0], &held, 1);
    } while (got < 0 && errno == EINTR);
    ::close(ready[0]);
    if (got != 1 || held != 'y') {
        release();
        throw std::runtime_error("HeldFlock: cannot lock " + file.string());
    }
}

HeldFlock::~HeldFlock() {
    release();
}

void HeldFlock::release() {
    if (holder_ > 0) {
        ::kill(holder_, SIGKILL);
        ::waitpid(holder_, nullptr, 0);
        holder_ = -1;
    }
}

} // namespace offstage::e2e
