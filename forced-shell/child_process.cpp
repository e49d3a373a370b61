#include "forced-shell/child_process.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <signal.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace offstage::forced_shell {

namespace {

struct Prepared {
    std::vector<std::string> argv_storage;
    std::vector<char*> argv;
    std::vector<std::string> env_storage;
    std::vector<char*> envp;
};

// Everything the child needs is built before fork(): after it, only async-signal-safe calls.
Prepared prepare(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
    Prepared prepared{argv, {}, env, {}};
    for (std::string& word : prepared.argv_storage) {
        prepared.argv.push_back(word.data());
    }
    prepared.argv.push_back(nullptr);
    for (std::string& entry : prepared.env_storage) {
        prepared.envp.push_back(entry.data());
    }
    prepared.envp.push_back(nullptr);
    return prepared;
}

// In the child: set up descriptors and exec; on failure write errno to `report` and _exit.
[[noreturn]] void exec_child(const Prepared& prepared, const ChildProcess::Options& options,
                             int stdout_fd, int report) {
    // The shell may run with SIGPIPE ignored by its parent; rsync and the backup expect the
    // default disposition.
    ::signal(SIGPIPE, SIG_DFL);
    int error = 0;
    if (options.stdin_fd >= 0 && ::dup2(options.stdin_fd, 0) < 0) {
        error = errno;
    }
    if (error == 0 && stdout_fd >= 0 && ::dup2(stdout_fd, 1) < 0) {
        error = errno;
    }
    for (int fd : options.inherit) {
        if (error == 0 && ::fcntl(fd, F_SETFD, 0) < 0) {
            error = errno;
        }
    }
    if (error == 0 && options.working_directory_fd >= 0 &&
        ::fchdir(options.working_directory_fd) < 0) {
        error = errno;
    }
    if (error == 0) {
        ::execve(prepared.argv[0], prepared.argv.data(), prepared.envp.data());
        error = errno;
    }
    [[maybe_unused]] ssize_t ignored = ::write(report, &error, sizeof error);
    ::_exit(127);
}

int wait_for(pid_t pid, const std::string& program) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            platform::throw_errno("waitpid for " + program);
        }
    }
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    return 128 + WTERMSIG(status);
}

// Returns the errno the child reported before exec, or 0 when exec happened.
int read_exec_report(int report) {
    int error = 0;
    ssize_t got;
    do {
        got = ::read(report, &error, sizeof error);
    } while (got < 0 && errno == EINTR);
    return got == static_cast<ssize_t>(sizeof error) ? error : 0;
}

pid_t start(const std::vector<std::string>& argv, const ChildProcess::Options& options,
            int stdout_fd) {
    if (argv.empty() || argv[0].empty() || argv[0][0] != '/') {
        throw std::invalid_argument("ChildProcess needs an absolute program path");
    }
    Prepared prepared = prepare(argv, options.environment);
    int report_pipe[2];
    if (::pipe2(report_pipe, O_CLOEXEC) != 0) {
        platform::throw_errno("pipe for " + argv[0]);
    }
    platform::UniqueFd report_read(report_pipe[0]);
    platform::UniqueFd report_write(report_pipe[1]);
    pid_t pid = ::fork();
    if (pid < 0) {
        platform::throw_errno("fork for " + argv[0]);
    }
    if (pid == 0) {
        exec_child(prepared, options, stdout_fd, report_write.get());
    }
    report_write.reset();
    if (int error = read_exec_report(report_read.get()); error != 0) {
        wait_for(pid, argv[0]);
        platform::throw_errno(error, "execute " + argv[0]);
    }
    return pid;
}

} // namespace

platform::UniqueFd ChildProcess::open_null_input(const std::string& program) {
    const std::string what = "open /dev/null as the standard input of " + program;
    platform::UniqueFd null_in(::open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (!null_in) {
        platform::throw_errno(what);
    }
    struct stat status {};
    if (::fstat(null_in.get(), &status) != 0) {
        platform::throw_errno(what);
    }
    if (!S_ISCHR(status.st_mode)) {
        // ENODEV: "No such device", which is what a /dev/null that is not one amounts to.
        platform::throw_errno(ENODEV, what + " (not a character device)");
    }
    return null_in;
}

int ChildProcess::run(const std::vector<std::string>& argv, const Options& options) {
    pid_t pid = start(argv, options, -1);
    return wait_for(pid, argv[0]);
}

ChildProcess::Output ChildProcess::capture(const std::vector<std::string>& argv,
                                           const Options& options, std::size_t limit) {
    int out_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        platform::throw_errno("pipe for " + argv.at(0));
    }
    platform::UniqueFd out_read(out_pipe[0]);
    platform::UniqueFd out_write(out_pipe[1]);
    platform::UniqueFd null_in = open_null_input(argv.at(0));
    Options with_null = options;
    with_null.stdin_fd = null_in.get();
    pid_t pid = start(argv, with_null, out_write.get());
    out_write.reset();
    Output output{0, {}};
    char buffer[4096];
    while (true) {
        ssize_t got = ::read(out_read.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        if (output.out.size() < limit) {
            output.out.append(buffer,
                              std::min(static_cast<std::size_t>(got), limit - output.out.size()));
        }
    }
    out_read.reset();
    output.status = wait_for(pid, argv[0]);
    return output;
}

} // namespace offstage::forced_shell
