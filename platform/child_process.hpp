// A program run as a child process without a shell (Boost.Process), its standard output
// streamed to the caller as it arrives. Errors name the command line and how it ended (exit
// status or signal) with the first line of its standard error: never a bare "failed".
#pragma once

#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace offstage::platform {

// A child that could not be started, or ended with a non-zero status or a signal.
class ChildProcessError : public std::runtime_error {
public:
    ChildProcessError(std::string command, int exit_status, const std::string& message)
        : std::runtime_error(message)
        , command_(std::move(command))
        , exit_status_(exit_status) {}
    const std::string& command() const { return command_; }
    // The exit status, 128+signal when killed, -1 when it never started.
    int exit_status() const { return exit_status_; }

private:
    std::string command_;
    int exit_status_;
};

class ChildProcess {
public:
    struct Options {
        // Set on top of the inherited environment (e.g. {"LC_ALL", "C"}).
        std::vector<std::pair<std::string, std::string>> environment;
        // Exit statuses that are results, not errors (0 always is).
        std::vector<int> accepted_statuses;
    };

    // Runs argv (argv[0] absolute, or looked up in PATH), calls `on_output` with each chunk
    // of its stdout in order, and returns its exit status once it has ended. Throws
    // ChildProcessError when it cannot start or ends with a status not accepted; an exception
    // from `on_output` kills the child and propagates.
    static int run(const std::vector<std::string>& argv,
                   const std::function<void(std::string_view)>& on_output, const Options& options);
    static int run(const std::vector<std::string>& argv,
                   const std::function<void(std::string_view)>& on_output) {
        return run(argv, on_output, Options{});
    }

    // Runs argv and returns its whole stdout.
    static std::string output(const std::vector<std::string>& argv, const Options& options);
    static std::string output(const std::vector<std::string>& argv) {
        return output(argv, Options{});
    }

    // The command line as a user would type it, for messages (arguments with spaces or
    // unusual bytes are single-quoted).
    static std::string describe(const std::vector<std::string>& argv);
};

} // namespace offstage::platform
