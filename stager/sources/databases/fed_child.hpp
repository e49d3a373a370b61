// A child whose standard input this process writes while it runs: psql holding the snapshot's
// transaction open until the dump is done, pg_restore checking a dump as it streams past. The
// child runs through platform::ChildProcess (all of its rules) on a thread of its own; its stdin
// is a named pipe in a private directory (mode 0700, removed afterwards) that only this process
// opens for writing. A child that stops reading ends the feeding (write() returns false), never
// this process (no SIGPIPE).
#pragma once

#include "platform/child_process.hpp"
#include "platform/unique_fd.hpp"

#include <atomic>
#include <exception>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace offstage::sources {

class FedChild {
public:
    // Starts argv (options.input and input_path are set here); `on_output` is called with its
    // stdout on the child's thread. Throws std::system_error when the pipe cannot be made.
    FedChild(std::vector<std::string> argv, platform::ChildProcess::Options options,
             std::function<void(std::string_view)> on_output);
    FedChild(const FedChild&) = delete;
    FedChild& operator=(const FedChild&) = delete;
    // Closes its stdin and waits for it (a child that ignores the end of its input is ended by
    // its Options::timeout); whatever went wrong is dropped: call finish() to hear it.
    ~FedChild();

    // Writes to its stdin; false when it no longer reads (it ended or closed its stdin).
    bool write(std::string_view bytes);
    // Whether the child has ended.
    bool ended() const { return ended_.load(); }
    // Closes its stdin, waits for it to end and returns its exit status; rethrows what
    // ChildProcess threw (a ChildProcessError naming the command and its stderr).
    int finish();

private:
    void open_writer();

    std::filesystem::path directory_;
    std::filesystem::path fifo_;
    platform::UniqueFd writer_;
    bool writer_gone_ = false;
    std::atomic<bool> ended_{false};
    int status_ = -1;
    std::exception_ptr error_;
    std::thread thread_;
};

} // namespace offstage::sources
