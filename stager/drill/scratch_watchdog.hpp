// Cleans up a scratch directory, and ends the servers running in it, when the process that made
// them dies without doing so itself.
//
// A drill (or a test) killed by the OOM killer, by SIGKILL or by a crash runs no destructor: its
// mariadbd or postgres would go on running in its scratch directory, holding memory and disk,
// and the plaintext it restored (a SQLite copy, a volume dump, a decrypted SQL file) would stay
// on disk. A parent-death signal cannot do this job: it is cleared when mariadbd changes its own
// uid, and it fires when the starting *thread* ends, not the process.
//
// So each scratch directory gets a watchdog: a process forked at once, before anything is put in
// the directory, that keeps nothing of ours but one end of a socket pair. The starter sends it a
// pidfd of each server process (SCM_RIGHTS), so the watchdog signals exactly that process, never
// a pid reused since. When the starter's end closes without a word (the starter died), the
// watchdog sends each server its signal, SIGKILL after the grace period, and then removes the
// directory (rm -rf --one-file-system, which never follows a symlink; again until it is gone,
// for 30 s at most, as a process nobody watched may still write there). When the starter cleaned
// up normally, the destructor tells the watchdog so, and it exits having done nothing.
//
// The watchdog ignores the terminal's and the service manager's SIGHUP/SIGINT/SIGTERM and sits in
// a session of its own: a Ctrl-C of `offstage drill` ends the drill, and the watchdog then ends
// the drill's servers. Between fork and exit it makes async-signal-safe calls only (the starter
// has threads).
#pragma once

#include "platform/process_handle.hpp"
#include "platform/unique_fd.hpp"

#include <chrono>
#include <filesystem>
#include <sys/types.h>

namespace offstage::drill {

class ScratchWatchdog {
public:
    // Forks the watchdog of `directory` (removed after the servers are gone); throws
    // std::system_error naming the call that failed.
    explicit ScratchWatchdog(const std::filesystem::path& directory);
    // Tells the watchdog all is done (nothing is killed or removed) and reaps it.
    ~ScratchWatchdog();
    ScratchWatchdog(const ScratchWatchdog&) = delete;
    ScratchWatchdog& operator=(const ScratchWatchdog&) = delete;

    // From now on, should this process die first, `server` gets `first_signal`, then SIGKILL if
    // it has not ended within `grace`. At most 8 processes per watchdog. Throws std::system_error
    // when the watchdog is gone.
    void watch(const platform::ProcessHandle& server, int first_signal,
               std::chrono::milliseconds grace);
    // The same for the process group `leader` leads (a tool that starts processes of its own:
    // mariadb-install-db and its bootstrap server), signalled with `signal` as long as the
    // leader lives; once it has ended normally, the group is left alone.
    void watch_group(const platform::ProcessHandle& leader, int signal);

    // The watchdog's own pid (tests kill it, or watch it exit).
    pid_t pid() const { return pid_; }

    static constexpr int max_watched = 8;

private:
    void send_watch(const platform::ProcessHandle& server, int first_signal,
                    std::chrono::milliseconds grace, bool whole_group);

    platform::UniqueFd channel_;
    pid_t pid_ = -1;
    int watched_ = 0;
};

} // namespace offstage::drill
