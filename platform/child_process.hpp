// A program run as a child process without a shell (Boost.Process), its standard output
// streamed to the caller as it arrives. The forced shell's rules hold for every child the stager
// runs: an absolute path (no PATH search), an environment built from nothing (only the variables
// the caller lists), no descriptor but 0-2 (everything else is closed on exec), default signal
// handling. Errors name the command line and how it ended (exit status, signal or timeout) with
// the first line of its standard error: never a bare "failed".
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <utility>
#include <vector>

namespace offstage::platform {

// A child that could not be started, or ended with a non-zero status or a signal.
class ChildProcessError : public std::runtime_error {
public:
    ChildProcessError(std::string command, int exit_status, const std::string& message,
                      bool timed_out = false)
        : std::runtime_error(message)
        , command_(std::move(command))
        , exit_status_(exit_status)
        , timed_out_(timed_out) {}
    const std::string& command() const { return command_; }
    // The exit status, 128+signal when killed, -1 when it never started.
    int exit_status() const { return exit_status_; }
    // It ran past Options::timeout and was killed (exit_status() is then 128+SIGKILL).
    bool timed_out() const { return timed_out_; }

private:
    std::string command_;
    int exit_status_;
    bool timed_out_;
};

// An OS user a child runs as (a database dump as `postgres`): its uid, primary gid and
// supplementary groups, resolved before the fork (nothing is looked up in the child).
struct ChildUser {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;

    // Resolves `name` with the passwd and group databases; throws std::runtime_error naming the
    // user when there is none.
    static ChildUser lookup(const std::string& name);
};

class ChildProcess {
public:
    struct Options {
        // The child's whole environment (e.g. {"LC_ALL", "C"}): nothing of ours is inherited.
        std::vector<std::pair<std::string, std::string>> environment;
        // Exit statuses that are results, not errors (0 always is).
        std::vector<int> accepted_statuses;
        // Written to the child's stdin, which is then closed; without it stdin is /dev/null.
        // A child that stops reading (closes stdin, exits) is judged by its exit status.
        std::optional<std::string> input;
        // The child's stdin is this file instead, opened for reading before the fork (a named
        // pipe that the caller feeds from another thread, for input too long to hold: a dump
        // checked as it streams). Opening a named pipe waits until its writer opens it.
        std::optional<std::string> input_path;
        // From the start to the child's end, reading included; past it the child is killed
        // (SIGKILL) and a ChildProcessError with timed_out() is thrown. Zero: no limit.
        std::chrono::milliseconds timeout{0};
        // The child drops to this user (setgroups, setgid, setuid, in that order, before
        // execve); a drop that fails ends the child with status 126 and says so on its stderr.
        std::optional<ChildUser> user;
        // The child's working directory (default: ours). A dump run as another user needs one
        // it may enter, or some tools complain on stderr.
        std::optional<std::string> working_directory;
        // When set, receives the start of the child's stderr (at most 64 KiB) whatever its
        // exit status: a dump that exits 0 but complains is judged by its caller.
        std::string* error_output = nullptr;
        // The child leads a process group of its own (setpgid before execve), which holds its
        // own children too: a caller can end them all (the scratch watchdog does).
        bool own_process_group = false;
        // Called with the child's pid once it has started, before its output is read; an
        // exception from it kills the child and propagates.
        std::function<void(pid_t)> on_start;
    };

    // Runs argv (argv[0] an absolute path), calls `on_output` with each chunk of its stdout in
    // order, and returns its exit status once it has ended. Throws ChildProcessError when it
    // cannot start, ends with a status not accepted or runs past the timeout; an exception from
    // `on_output` kills the child and propagates.
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
