// A throwaway server's own process (mariadbd, the postmaster): run by a thread of its own as our
// child, without a time limit, until it ends. The scratch watchdog is told of it the instant it
// starts, so a drill killed while a server starts leaves none running; from then on it is known
// by its pidfd. Its pid file is never read: it lies in a directory the server's OS user owns,
// where a restored dump could write (SELECT ... INTO OUTFILE, COPY ... TO), and whatever pid it
// named would be signalled by root.
#pragma once

#include "platform/child_process.hpp"
#include "platform/process_handle.hpp"
#include "stager/drill/scratch_watchdog.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <mutex>
#include <string>
#include <sys/types.h>
#include <thread>
#include <vector>

namespace offstage::drill {

class ServerProcess {
public:
    ServerProcess() = default;
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    ~ServerProcess() { stop(SIGKILL, std::chrono::milliseconds(0)); }

    // Starts argv with `options` (its timeout is ignored); should this process die first, the
    // watchdog sends it `watchdog_signal`, then SIGKILL after `watchdog_grace`.
    void start(const std::vector<std::string>& argv, platform::ChildProcess::Options options,
               ScratchWatchdog& watchdog, int watchdog_signal,
               std::chrono::milliseconds watchdog_grace);

    // It has ended (or could not start): a server that should be starting has failed.
    bool ended() const { return ended_; }
    // How it ended or why it could not start (its first line of stderr when it said nothing
    // else); empty while it runs.
    std::string error() const;
    // Its pid once started, else 0.
    pid_t pid() const;
    // Sends `signal`, then SIGKILL if it has not ended within `grace`, and waits for its thread.
    // Does nothing the second time.
    void stop(int signal, std::chrono::milliseconds grace);

private:
    std::thread runner_;
    std::atomic<bool> ended_{false};
    mutable std::mutex mutex_; // guards process_ and error_, set by the runner thread
    platform::ProcessHandle process_;
    std::string error_;
};

} // namespace offstage::drill
