// A process named by a pidfd (Linux 5.3): signalled and waited for as that very process, never
// a pid reused since, whether or not it is our child. The free functions make bare system calls
// only, so a forked child of a threaded process may call them (the scratch watchdog does).
#pragma once

#include "platform/unique_fd.hpp"

#include <cerrno>
#include <chrono>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

namespace offstage::platform {

inline int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

inline int pidfd_send_signal(int pidfd, int signal) {
    return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, signal, nullptr, 0));
}

// True once the process behind `pidfd` has ended (a pidfd polls readable then, also for a
// zombie nobody reaps), within `timeout_ms`.
inline bool pidfd_ended_within(int pidfd, int timeout_ms) {
    pollfd watched{pidfd, POLLIN, 0};
    while (true) {
        int ready = ::poll(&watched, 1, timeout_ms);
        if (ready >= 0 || errno != EINTR) {
            return ready > 0;
        }
    }
}

class ProcessHandle {
public:
    ProcessHandle() = default;
    // Throws std::system_error naming the pid when it cannot (no such process).
    explicit ProcessHandle(pid_t pid);

    explicit operator bool() const { return static_cast<bool>(fd_); }
    pid_t pid() const { return pid_; }
    int fd() const { return fd_.get(); }
    // False when the process has ended already.
    bool signal(int signal) const { return pidfd_send_signal(fd_.get(), signal) == 0; }
    bool ended_within(std::chrono::milliseconds timeout) const {
        return pidfd_ended_within(fd_.get(), static_cast<int>(timeout.count()));
    }
    // `first_signal`, then SIGKILL if it has not ended within `grace`; waits until it has ended
    // (at most 10 s more).
    void end(int first_signal, std::chrono::milliseconds grace) const;

private:
    UniqueFd fd_;
    pid_t pid_ = 0;
};

} // namespace offstage::platform
