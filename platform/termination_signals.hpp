// What happens to temporary files when a signal ends the process: SIGHUP, SIGINT, SIGTERM and
// SIGPIPE (the signals whose default action ends a program that is simply interrupted) first
// unlink every file registered here, then kill the process with the same signal and its default
// action, so that the parent still sees "killed by SIGTERM". An interrupted `decrypt -o FILE`
// thus leaves no half-written plaintext beside FILE.
//
// The handler is async-signal-safe: it walks a fixed table of (directory descriptor, name) slots
// whose states are lock-free atomics and calls only unlinkat(2), sigaction(2) and raise(3). It may
// run on any thread (the archive pipeline's workers and zstd's included), and it claims each slot
// before reading it, so a thread that unregisters or reuses a slot at that moment never lets it
// read a half-written name.
#pragma once

#include <string_view>

namespace offstage::platform {

// Installs the handler for each of those signals that is not ignored: one ignored when the
// program starts (SIGHUP under nohup(1), SIGINT for a background job) stays ignored. Call once,
// early in main(), before any thread starts. Registrations before it (or in a program that never
// calls it) are kept but nothing acts on them.
void install_termination_cleanup();

// A file that the handler unlinks while this object lives: `name` (one path component) in the
// directory open as `directory_fd`, which must stay open as long. Registering before the file is
// created leaves no window in which it exists unregistered. The destructor unregisters without
// unlinking: the owner renames or removes the file itself. Throws std::length_error when the name
// is longer than NAME_MAX, std::runtime_error when all the slots are taken.
class RemovedOnTermination {
public:
    RemovedOnTermination(int directory_fd, std::string_view name);
    ~RemovedOnTermination();
    RemovedOnTermination(const RemovedOnTermination&) = delete;
    RemovedOnTermination& operator=(const RemovedOnTermination&) = delete;

private:
    int slot_;
};

} // namespace offstage::platform
