#include "tests/support/run_command.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace offstage::test {

namespace {

using platform::UniqueFd;

std::pair<UniqueFd, UniqueFd> make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        platform::throw_errno("pipe2");
    }
    return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

} // namespace

CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options) {
    if (argv.empty()) {
        throw std::invalid_argument("run_command: empty argv");
    }
    auto [in_read, in_write] = make_pipe();
    auto [out_read, out_write] = make_pipe();
    auto [err_read, err_write] = make_pipe();

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_read.get(), 0);
    posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
    posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
    if (options.working_directory) {
        posix_spawn_file_actions_addchdir_np(&actions, options.working_directory->c_str());
    }
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // A fresh process group, so that a timeout kills the whole tree (sshd, its children).
    posix_spawnattr_setpgroup(&attributes, 0);
    sigset_t default_signals;
    sigemptyset(&default_signals);
    sigaddset(&default_signals, SIGPIPE);
    posix_spawnattr_setsigdefault(&attributes, &default_signals);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF);

    std::vector<char*> args;
    for (const std::string& arg : argv) {
        args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);

    std::map<std::string, std::string> env_map;
    if (options.environment) {
        env_map = *options.environment;
    } else {
        for (char** entry = environ; *entry != nullptr; ++entry) {
            std::string text(*entry);
            auto eq = text.find('=');
            if (eq != std::string::npos) {
                env_map[text.substr(0, eq)] = text.substr(eq + 1);
            }
        }
    }
    for (const auto& [key, value] : options.extra_environment) {
        env_map[key] = value;
    }
    std::vector<std::string> env_strings;
    for (const auto& [key, value] : env_map) {
        env_strings.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (std::string& entry : env_strings) {
        envp.push_back(entry.data());
    }
    envp.push_back(nullptr);

    pid_t pid = 0;
    int rc =
        argv[0].find('/') == std::string::npos
            ? ::posix_spawnp(&pid, argv[0].c_str(), &actions, &attributes, args.data(), envp.data())
            : ::posix_spawn(&pid, argv[0].c_str(), &actions, &attributes, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (rc != 0) {
        platform::throw_errno(rc, "spawn " + argv[0]);
    }
    in_read.reset();
    out_write.reset();
    err_write.reset();

    CommandResult result;
    std::size_t stdin_offset = 0;
    if (options.stdin_data.empty()) {
        in_write.reset();
    } else {
        ::fcntl(in_write.get(), F_SETFL, O_NONBLOCK);
    }
    const auto deadline = std::chrono::steady_clock::now() + options.timeout;
    bool killed = false;
    while (out_read || err_read) {
        std::vector<pollfd> fds;
        if (in_write) {
            fds.push_back({in_write.get(), POLLOUT, 0});
        }
        if (out_read) {
            fds.push_back({out_read.get(), POLLIN, 0});
        }
        if (err_read) {
            fds.push_back({err_read.get(), POLLIN, 0});
        }
        auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (remaining.count() <= 0) {
            ::kill(-pid, SIGKILL);
            killed = true;
            break;
        }
        int ready = ::poll(fds.data(), fds.size(), static_cast<int>(remaining.count()));
        if (ready < 0 && errno != EINTR) {
            platform::throw_errno("poll");
        }
        for (const pollfd& p : fds) {
            if (p.revents == 0) {
                continue;
            }
            if (in_write && p.fd == in_write.get()) {
                ssize_t n = ::write(in_write.get(), options.stdin_data.data() + stdin_offset,
                                    options.stdin_data.size() - stdin_offset);
                if (n > 0) {
                    stdin_offset += static_cast<std::size_t>(n);
                }
                if (n < 0 && errno != EAGAIN) {
                    in_write.reset(); // the child closed its stdin: fine
                } else if (stdin_offset == options.stdin_data.size()) {
                    in_write.reset();
                }
                continue;
            }
            UniqueFd& source = (out_read && p.fd == out_read.get()) ? out_read : err_read;
            std::string& sink = (&source == &out_read) ? result.out : result.err;
            char buffer[65536];
            ssize_t n = ::read(source.get(), buffer, sizeof buffer);
            if (n > 0) {
                sink.append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                source.reset();
            }
        }
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            platform::throw_errno("waitpid " + argv[0]);
        }
    }
    if (killed) {
        // Leave nothing of the group behind.
        ::kill(-pid, SIGKILL);
    }
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

std::filesystem::path built_program(const std::string& name) {
    static const std::filesystem::path root(OFFSTAGE_BINARY_DIR);
    for (const char* folder : {"stager/cli", "forced-shell", ""}) {
        std::filesystem::path candidate = root / folder / name;
        if (std::filesystem::exists(candidate)) {
            return candidate;
        }
    }
    throw std::runtime_error("built program not found: " + name + " under " + root.string());
}

} // namespace offstage::test
