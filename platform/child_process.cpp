#include "platform/child_process.hpp"

#include <algorithm>
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <poll.h>
#include <sys/wait.h>
#include <system_error>
#include <unistd.h>

extern char** environ;

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

// Enough of stderr to say why; a child that floods it must not grow our memory.
constexpr std::size_t stderr_limit = 4096;

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
    const std::string command = describe(argv);
    if (argv.empty()) {
        throw ChildProcessError(command, -1, "run: empty command line");
    }
    std::string program = argv[0];
    if (program.find('/') == std::string::npos) {
        boost::filesystem::path found = bp::search_path(program);
        if (found.empty()) {
            throw ChildProcessError(command, -1,
                                    command + ": cannot start: " + program + " not found in PATH");
        }
        program = found.string();
    }
    // The child's environment: ours with the given variables replaced. Built here rather than
    // with bp::environment, whose lookup in Boost 1.74 reads past the end of shorter entries.
    std::vector<std::string> variables;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string_view text(*entry);
        std::string_view key = text.substr(0, text.find('='));
        bool replaced = std::any_of(options.environment.begin(), options.environment.end(),
                                    [key](const auto& pair) { return pair.first == key; });
        if (!replaced) {
            variables.emplace_back(text);
        }
    }
    for (const auto& [key, value] : options.environment) {
        variables.push_back(key + "=" + value);
    }
    std::vector<char*> envp;
    for (std::string& variable : variables) {
        envp.push_back(variable.data());
    }
    envp.push_back(nullptr);
    std::vector<std::string> args(argv.begin() + 1, argv.end());

    bp::pipe out_pipe;
    bp::pipe err_pipe;
    std::error_code start_error;
    // (Named redirections: clang-format reads `std_in < null, std_out > pipe` as a template.)
    auto no_input = bp::std_in < bp::null;
    auto output_to = bp::std_out > out_pipe;
    auto errors_to = bp::std_err > err_pipe;
    bp::child child(bp::exe = program, bp::args = args, EnvironmentSetter{envp.data()}, no_input,
                    output_to, errors_to, start_error);
    if (start_error) {
        throw ChildProcessError(command, -1, command + ": cannot start: " + start_error.message());
    }

    std::string err_text;
    int out_fd = out_pipe.native_source();
    int err_fd = err_pipe.native_source();
    std::string buffer(1 << 16, '\0');
    try {
        while (out_fd >= 0 || err_fd >= 0) {
            pollfd fds[2];
            nfds_t count = 0;
            if (out_fd >= 0) {
                fds[count++] = {out_fd, POLLIN, 0};
            }
            if (err_fd >= 0) {
                fds[count++] = {err_fd, POLLIN, 0};
            }
            if (::poll(fds, count, -1) < 0) {
                if (errno == EINTR) {
                    continue;
                }
                throw std::system_error(errno, std::generic_category(), "poll " + command);
            }
            for (nfds_t i = 0; i < count; ++i) {
                if (fds[i].revents == 0) {
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
    } catch (...) {
        std::error_code ignored;
        child.terminate(ignored);
        throw;
    }

    std::error_code wait_error;
    child.wait(wait_error);
    if (wait_error) {
        throw ChildProcessError(command, -1, command + ": wait: " + wait_error.message());
    }
    int raw = child.native_exit_code();
    int status = WIFSIGNALED(raw) ? 128 + WTERMSIG(raw) : WEXITSTATUS(raw);
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
