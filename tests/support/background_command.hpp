// A program started in the background, for tests that act on it while it runs: signal it, feed
// the FIFO it reads, watch the files it writes. Its standard streams are descriptors the test
// chose; its signal dispositions are the defaults and its mask empty, whatever the test runner's.
#pragma once

#include <chrono>
#include <string>
#include <sys/types.h>
#include <vector>

namespace offstage::test {

class BackgroundCommand {
public:
    // Starts argv (argv[0] a path) with stdin, stdout and stderr on the given descriptors
    // (-1: /dev/null), in a process group of its own. Throws std::system_error if it cannot.
    BackgroundCommand(const std::vector<std::string>& argv, int stdin_fd = -1, int stdout_fd = -1,
                      int stderr_fd = -1);
    ~BackgroundCommand(); // SIGKILLs and reaps it if still running
    BackgroundCommand(const BackgroundCommand&) = delete;
    BackgroundCommand& operator=(const BackgroundCommand&) = delete;

    pid_t pid() const { return pid_; }
    // Waits for it to end and returns its wait(2) status; after `timeout`, SIGKILLs it first.
    int wait(std::chrono::milliseconds timeout);

private:
    pid_t pid_ = -1;
    bool reaped_ = false;
    int status_ = 0;
};

// How a program run by run_bounded() ended: its wait status and standard error.
struct BoundedRun {
    int status = 0;
    std::string err;
};

// Runs argv with standard output thrown away (it may be endless: a test of what happens before
// an endless input is read) and stdin on `stdin_fd` (-1: /dev/null); SIGKILLs it after `timeout`.
BoundedRun run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       int stdin_fd = -1);

// True if the wait status says the process exited with `code`.
bool exited_with(int status, int code);

// "exited with 2", "killed by signal 15 (Terminated)": a wait status for a test's message.
std::string describe_wait_status(int status);

} // namespace offstage::test
