#include "tests/support/background_command.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/mman.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace offstage::test {

BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv, int stdin_fd,
                                     int stdout_fd, int stderr_fd) {
    if (argv.empty()) {
        throw std::invalid_argument("BackgroundCommand: empty argv");
    }
    platform::UniqueFd null(::open("/dev/null", O_RDWR | O_CLOEXEC));
    if (!null) {
        platform::throw_errno("open /dev/null");
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_fd >= 0 ? stdin_fd : null.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, stdout_fd >= 0 ? stdout_fd : null.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, stderr_fd >= 0 ? stderr_fd : null.get(), 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t all;
    sigfillset(&all);
    posix_spawnattr_setsigdefault(&attributes, &all); // nothing ignored (nohup, a background job)
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF |
                                              POSIX_SPAWN_SETSIGMASK);
    std::vector<char*> args;
    for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, &attributes, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        platform::throw_errno(rc, "spawn " + argv[0]);
    }
}

BackgroundCommand::~BackgroundCommand() {
    if (!reaped_) {
        ::kill(pid_, SIGKILL);
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
        }
    }
}

int BackgroundCommand::wait(std::chrono::milliseconds timeout) {
    if (reaped_) {
        return status_;
    }
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        pid_t done = ::waitpid(pid_, &status_, WNOHANG);
        if (done == pid_) {
            reaped_ = true;
            return status_;
        }
        if (done < 0 && errno != EINTR) {
            platform::throw_errno("waitpid");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid_, SIGKILL);
            while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
            }
            reaped_ = true;
            return status_;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

BoundedRun run_bounded(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       int stdin_fd) {
    platform::UniqueFd err(::memfd_create("stderr", MFD_CLOEXEC));
    if (!err) {
        platform::throw_errno("memfd_create");
    }
    BoundedRun result;
    {
        BackgroundCommand command(argv, stdin_fd, -1, err.get());
        result.status = command.wait(timeout);
    }
    char buffer[65536];
    off_t offset = 0;
    ssize_t got;
    while ((got = ::pread(err.get(), buffer, sizeof buffer, offset)) > 0) {
        result.err.append(buffer, static_cast<std::size_t>(got));
        offset += got;
    }
    return result;
}

bool exited_with(int status, int code) {
    return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

std::string describe_wait_status(int status) {
    if (WIFEXITED(status)) {
        return "exited with " + std::to_string(WEXITSTATUS(status));
    }
    if (WIFSIGNALED(status)) {
        return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
               ::strsignal(WTERMSIG(status)) + ")";
    }
    return "wait status " + std::to_string(status);
}

} // namespace offstage::test
