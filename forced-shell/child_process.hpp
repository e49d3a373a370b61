// Runs one program with fork + execve: an exact argv, an exact environment, no shell, no PATH
// search. Descriptors are closed on exec except 0-2 and the ones the caller names, so nothing
// the shell opened (config, log, lock) leaks into the child.
#pragma once

#include "platform/unique_fd.hpp"

#include <span>
#include <string>
#include <vector>

namespace offstage::forced_shell {

class ChildProcess {
public:
    struct Options {
        std::vector<std::string> environment; // "NAME=value" entries, exactly these
        std::vector<int> inherit;             // descriptors (besides 0-2) the child keeps
        int stdin_fd = -1;                    // becomes the child's fd 0; -1 = inherit ours
        int working_directory_fd = -1;        // fchdir() there first; -1 = stay
    };

    // Runs argv (argv[0] an absolute path) and waits. Returns the exit status, or 128 + the
    // signal number when the child was killed. Throws std::system_error naming the program
    // when it cannot be started (fork failed, or execve failed in the child: the errno comes
    // back over a close-on-exec pipe).
    static int run(const std::vector<std::string>& argv, const Options& options);

    // Opens /dev/null for a child's stdin (close-on-exec). Throws std::system_error when it
    // cannot be opened or is not a character device: a child meant to read nothing must never
    // fall back to our stdin, which for the forced shell is the provider's SSH channel.
    // `program` names the child in the error.
    static platform::UniqueFd open_null_input(const std::string& program);

    // Runs argv with stdin from /dev/null and returns what it printed on stdout (at most
    // `limit` bytes) and its status; for --check's look at the rsync binary.
    struct Output {
        int status;
        std::string out;
    };
    static Output capture(const std::vector<std::string>& argv, const Options& options,
                          std::size_t limit = 1 << 20);
};

} // namespace offstage::forced_shell
