// Runs a program (no shell) with given argv, environment and stdin, and collects its output.
// For tests that drive the real binaries and the real peers (ssh, rsync, age, dpkg).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace offstage::test {

struct CommandResult {
    int exit_status = -1; // the exit code, or 128+signal when killed by a signal
    std::string out;
    std::string err;
};

struct CommandOptions {
    std::string stdin_data;
    // nullopt: inherit this process's environment; otherwise exactly these variables.
    std::optional<std::map<std::string, std::string>> environment;
    // Variables set on top of the inherited (or given) environment.
    std::map<std::string, std::string> extra_environment;
    std::optional<std::filesystem::path> working_directory;
    std::chrono::seconds timeout{120}; // killed (SIGKILL) after this; exit_status is then 137
};

// argv[0] is looked up in PATH when it has no '/'. Throws only when the program cannot be
// started at all; a non-zero exit is a result, not an exception.
CommandResult run_command(const std::vector<std::string>& argv, const CommandOptions& options = {});

// Where the build put a program of the project (e.g. "offstage", "offstage-shell").
std::filesystem::path built_program(const std::string& name);

} // namespace offstage::test
