#include "platform/process_handle.hpp"

#include "platform/system_error.hpp"

#include <csignal>
#include <string>

namespace offstage::platform {

ProcessHandle::ProcessHandle(pid_t pid)
    : fd_(pidfd_open(pid))
    , pid_(pid) {
    if (!fd_) {
        throw_errno("pidfd_open of process " + std::to_string(pid));
    }
}

void ProcessHandle::end(int first_signal, std::chrono::milliseconds grace) const {
    if (!fd_) {
        return;
    }
    signal(first_signal);
    if (!ended_within(grace)) {
        signal(SIGKILL);
        ended_within(std::chrono::seconds(10));
    }
}

} // namespace offstage::platform
