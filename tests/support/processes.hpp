// Looking at other processes through /proc, for tests that kill a starter and check what it
// leaves running. Files are read with read(2): reading the file of a process that has just
// ended fails with ESRCH, which an ifstream turns into an exception.
#pragma once

#include <filesystem>
#include <string>
#include <sys/types.h>
#include <vector>

namespace offstage::test {

// A file of /proc/PID, or "" once the process is gone.
std::string read_proc_file(const std::filesystem::path& path);

// The command line of `pid` (arguments separated by NUL bytes), or "".
std::string command_line(pid_t pid);

// No such process, or a zombie (reaped by whoever is its parent now).
bool has_ended(pid_t pid);

// The pids of the live processes whose command line mentions `text`.
std::vector<pid_t> processes_mentioning(const std::string& text);

} // namespace offstage::test
