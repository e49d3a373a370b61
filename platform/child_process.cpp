#include "platform/child_process.hpp"

#include "platform/fd_stream.hpp"

#include <algorithm>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <iomanip>
#include <memory>
#include <poll.h>
#include <pwd.h>
#include <sstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace offstage::platform {

namespace bp = boost::process;

namespace {

// Hands execve() an environment prepared before the fork (nothing is allocated in the child).
struct EnvironmentSetter : bp::extend::handler {
    char** envp;
    explicit EnvironmentSetter(char** environment)
        : envp(environment) {}
    template <typename Executor>
    void on_setup(Executor& executor) const {
        executor.env = envp;
    }
};

// In the child, after Boost.Process has put the pipes on 0-2 and before execve: every other
// descriptor is marked close-on-exec (a descriptor some library opened without O_CLOEXEC, or a
// lock file, must not reach sendmail or a hook), and signals are back to their defaults (offstage
// may ignore SIGPIPE or block signals; dispositions set to ignore and the mask survive execve).
// Only async-signal-safe calls: the limit for the fallback loop is read before the fork.
struct StrictChildSetup : bp::extend::handler {
    int max_fd;
    const ChildUser* user;
    const char* working_directory;
    bool own_process_group;
    StrictChildSetup(int max_descriptor, const ChildUser* run_as, const char* directory,
                     bool own_group)
        : max_fd(max_descriptor)
        , user(run_as)
        , working_directory(directory)
        , own_process_group(own_group) {}
    // Says why on the child's stderr (the parent's error message quotes its first line) and
    // ends it without running anything.
    static void fail(const char* what) {
        const char* reason = ::strerror(errno); // no allocation; the child is about to end
        for (const char* part : {what, ": ", reason, "\n"}) {
            [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, part, std::strlen(part));
        }
        ::_exit(126);
    }
    template <typename Executor>
    void on_exec_setup(Executor&) const {
        if (own_process_group && ::setpgid(0, 0) != 0) {
            fail("cannot make a process group of its own: setpgid");
        }
        if (user != nullptr) {
            if (::setgroups(user->groups.size(), user->groups.data()) != 0) {
                fail("cannot drop to the dump user: setgroups");
            }
            if (::setgid(user->gid) != 0) {
                fail("cannot drop to the dump user: setgid");
            }
            if (::setuid(user->uid) != 0) {
                fail("cannot drop to the dump user: setuid");
            }
        }
        if (working_directory != nullptr && ::chdir(working_directory) != 0) {
            fail("cannot enter the working directory");
        }
        // CLOEXEC rather than closing: Boost's pipe that reports an execve failure must stay
        // open until the execve.
        if (::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
            for (int fd = 3; fd < max_fd; ++fd) {
                ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            }
        }
        for (int signal = 1; signal < NSIG; ++signal) {
            if (signal != SIGKILL && signal != SIGSTOP) {
                ::signal(signal, SIG_DFL);
            }
        }
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
    }
};

int descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY ||
        limit.rlim_cur > (1u << 20)) {
        return 1 << 20;
    }
    return static_cast<int>(limit.rlim_cur);
}

// Kills the child and reaps it, so no zombie and no stray process outlives run().
void kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int ignored = 0;
    while (::waitpid(pid, &ignored, 0) < 0 && errno == EINTR) {
    }
}

std::string seconds_text(std::chrono::milliseconds duration) {
    std::ostringstream text;
    text << std::fixed << std::setprecision(duration.count() % 1000 == 0 ? 0 : 1)
         << static_cast<double>(duration.count()) / 1000.0 << " s";
    return text.str();
}

// Enough of stderr to say why; a child that floods it must not grow our memory.
constexpr std::size_t stderr_limit = 64 * 1024;

// The first line of a child's stderr; when it ends in ':' (as dpkg's "parsing file X near line
// N:") the detail is on the next line, so that comes too.
std::string first_line(const std::string& text) {
    auto trimmed = [](std::string line) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
            line.pop_back();
        }
        std::size_t start = line.find_first_not_of(' ');
        return start == std::string::npos ? std::string() : line.substr(start);
    };
    std::size_t end = text.find('\n');
    std::string line = trimmed(text.substr(0, end));
    if (!line.empty() && line.back() == ':' && end != std::string::npos) {
        std::size_t next_end = text.find('\n', end + 1);
        line +=
            ' ' + trimmed(text.substr(end + 1, next_end == std::string::npos ? std::string::npos
                                                                             : next_end - end - 1));
    }
    return line;
}

} // namespace

ChildUser ChildUser::lookup(const std::string& name) {
    std::vector<char> buffer(16384);
    passwd entry{};
    passwd* found = nullptr;
    int error = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
    if (error != 0 || found == nullptr) {
        throw std::runtime_error("no such user: " + name +
                                 (error != 0 ? std::string(": ") + std::strerror(error) : ""));
    }
    ChildUser user{name, entry.pw_uid, entry.pw_gid, {}};
    int count = 64;
    user.groups.resize(static_cast<std::size_t>(count));
    while (::getgrouplist(name.c_str(), entry.pw_gid, user.groups.data(), &count) < 0) {
        user.groups.resize(static_cast<std::size_t>(count) + 64);
        count = static_cast<int>(user.groups.size());
    }
    user.groups.resize(static_cast<std::size_t>(count));
    return user;
}

std::string ChildProcess::describe(const std::vector<std::string>& argv) {
    std::string text;
    for (const std::string& arg : argv) {
        if (!text.empty()) {
            text += ' ';
        }
        bool plain = !arg.empty() && std::all_of(arg.begin(), arg.end(), [](char c) {
            unsigned char u = static_cast<unsigned char>(c);
            return u > 0x20 && u < 0x7f && c != '\'' && c != '"' && c != '\\' && c != '$' &&
                   c != '`';
        });
        if (plain) {
            text += arg;
        } else {
            text += '\'';
            for (char c : arg) {
                if (c == '\'') {
                    text += "'\\''";
                } else {
                    text += c;
                }
            }
            text += '\'';
        }
    }
    return text;
}

int ChildProcess::run(const std::vector<std::string>& argv,
                      const std::function<void(std::string_view)>& on_output,
                      const Options& options) {
    using Clock = std::chrono::steady_clock;
    const std::string command = describe(argv);
    if (argv.empty()) {
        throw ChildProcessError(command, -1, "run: empty command line");
    }
    const std::string& program = argv[0];
    if (program.empty() || program[0] != '/') {
        // No PATH search: which program runs must not depend on the caller's PATH.
        throw ChildProcessError(command, -1,
                                command + ": cannot start: not an absolute path: " + program);
    }
    // The child's environment is exactly the listed variables, built here (nothing is allocated
    // in the child) rather than with bp::environment, whose lookup in Boost 1.74 reads past the
    // end of shorter entries.
    std::vector<std::string> variables;
    for (const auto& [key, value] : options.environment) {
        variables.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (std::string& variable : variables) {
        envp.push_back(variable.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args(argv.begin() + 1, argv.end());
    const bool limited = options.timeout.count() > 0;
    const Clock::time_point deadline = Clock::now() + options.timeout;

    bp::pipe in_pipe;
    bp::pipe out_pipe;
    bp::pipe err_pipe;
    std::error_code start_error;
    // (Named redirections: clang-format reads `std_in < null, std_out > pipe` as a template.)
    auto output_to = bp::std_out > out_pipe;
    auto errors_to = bp::std_err > err_pipe;
    auto start = [&](auto input_from) {
        return bp::child(
            bp::exe = program, bp::args = args, EnvironmentSetter{envp.data()}, input_from,
            output_to, errors_to,
            StrictChildSetup{descriptor_limit(), options.user ? &*options.user : nullptr,
                             options.working_directory ? options.working_directory->c_str()
                                                       : nullptr,
                             options.own_process_group},
            start_error);
    };
    // input_path: opened read-only here (Boost's own file redirection opens read-write, which
    // would make the child a writer of its own named pipe, never seeing its end).
    std::unique_ptr<FILE, int (*)(FILE*)> input_file(nullptr, &std::fclose);
    if (options.input_path) {
        input_file.reset(std::fopen(options.input_path->c_str(), "re"));
        if (!input_file) {
            throw ChildProcessError(command, -1,
                                    command + ": cannot open its input " + *options.input_path +
                                        ": " + std::strerror(errno));
        }
    }
    bp::child child = options.input ? start(bp::std_in < in_pipe)
                      : input_file  ? start(bp::std_in < input_file.get())
                                    : start(bp::std_in < bp::null);
    input_file.reset(); // the child has its own copy
    if (start_error) {
        throw ChildProcessError(command, -1, command + ": cannot start: " + start_error.message());
    }
    // From here on the pid is ours to wait for (Boost's wait_for is unreliable in 1.74).
    const pid_t pid = child.id();
    child.detach();
    if (options.on_start) {
        try {
            options.on_start(pid);
        } catch (...) {
            kill_and_reap(pid);
            throw;
        }
    }

    std::string err_text;
    int in_fd = -1;
    std::string_view pending_input;
    if (options.input) {
        in_fd = in_pipe.native_sink();
        ::fcntl(in_fd, F_SETFL, ::fcntl(in_fd, F_GETFL) | O_NONBLOCK);
        pending_input = *options.input;
        if (pending_input.empty()) {
            in_pipe.close();
            in_fd = -1;
        }
    }
    int out_fd = out_pipe.native_source();
    int err_fd = err_pipe.native_source();
    auto timed_out = [&]() {
        kill_and_reap(pid);
        std::string message =
            command + ": timed out after " + seconds_text(options.timeout) + ", killed";
        std::string why = first_line(err_text);
        if (!why.empty()) {
            message += ": " + why;
        }
        return ChildProcessError(command, 128 + SIGKILL, message, true);
    };
    auto remaining_ms = [&]() {
        if (!limited) {
            return -1;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 1 << 30));
    };
    std::string buffer(1 << 16, '\0');
    int raw = 0;
    try {
        while (out_fd >= 0 || err_fd >= 0 || in_fd >= 0) {
            pollfd fds[3];
            nfds_t count = 0;
            if (out_fd >= 0) {
                fds[count++] = {out_fd, POLLIN, 0};
            }
            if (err_fd >= 0) {
                fds[count++] = {err_fd, POLLIN, 0};
            }
            if (in_fd >= 0) {
                fds[count++] = {in_fd, POLLOUT, 0};
            }
            int timeout_ms = remaining_ms();
            if (limited && timeout_ms == 0) {
                throw timed_out();
            }
            int ready = ::poll(fds, count, timeout_ms);
            if (ready < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::system_error(errno, std::generic_category(), "poll " + command);
            }
            for (nfds_t i = 0; i < count; ++i) {
                if (fds[i].revents == 0) {
                    continue;
                }
                if (fds[i].fd == in_fd) {
                    ssize_t n =
                        write_without_sigpipe(in_fd, pending_input.data(),
                                              std::min<std::size_t>(pending_input.size(), 1 << 16));
                    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
                        continue;
                    }
                    if (n > 0) {
                        pending_input.remove_prefix(static_cast<std::size_t>(n));
                    }
                    // Done, or the child closed its end (EPIPE): its exit status tells.
                    if (n < 0 || pending_input.empty()) {
                        in_pipe.close();
                        in_fd = -1;
                    }
                    continue;
                }
                ssize_t n = ::read(fds[i].fd, buffer.data(), buffer.size());
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n < 0) {
                    throw std::system_error(errno, std::generic_category(),
                                            "read output of " + command);
                }
                bool is_out = fds[i].fd == out_fd;
                if (n == 0) {
                    (is_out ? out_fd : err_fd) = -1;
                } else if (is_out) {
                    on_output(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
                } else if (err_text.size() < stderr_limit) {
                    err_text.append(buffer.data(), static_cast<std::size_t>(n));
                }
            }
        }
        // Its output is closed; it may still run (a child that closed stdout and stderr).
        while (true) {
            pid_t reaped = ::waitpid(pid, &raw, limited ? WNOHANG : 0);
            if (reaped == pid) {
                break;
            }
            if (reaped < 0 && errno != EINTR) {
                throw ChildProcessError(command, -1, command + ": wait: " + std::strerror(errno));
            }
            if (reaped == 0) {
                if (remaining_ms() == 0) {
                    throw timed_out();
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
    } catch (const ChildProcessError&) {
        throw; // timed out (killed and reaped already) or gone (wait failed)
    } catch (...) {
        kill_and_reap(pid);
        throw;
    }

    int status = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
    if (options.error_output != nullptr) {
        *options.error_output = err_text;
    }
    bool accepted =
        status == 0 || std::find(options.accepted_statuses.begin(), options.accepted_statuses.end(),
                                 status) != options.accepted_statuses.end();
    if (!accepted) {
        std::string message = command;
        if (WIFSIGNALED(raw)) {
            message += ": killed by signal " + std::to_string(WTERMSIG(raw));
        } else {
            message += ": exit status " + std::to_string(status);
        }
        std::string why = first_line(err_text);
        if (!why.empty()) {
            message += ": " + why;
        }
        throw ChildProcessError(command, status, message);
    }
    return status;
}

std::string ChildProcess::output(const std::vector<std::string>& argv, const Options& options) {
    std::string text;
    run(
        argv, [&text](std::string_view chunk) { text.append(chunk); }, options);
    return text;
}

} // namespace offstage::platform
