// The run lock: one `offstage run` at a time, whoever starts it (the provider's `backup`, a
// timer, an admin). An flock(2) on a file that stays in place, so the kernel releases it when
// the holder dies; the file also names the holder (pid, boot id, start time), so a run that
// takes over after a crash or a reboot can say whose lock it found (docs/staging-tree.md).
#pragma once

#include "platform/unique_fd.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>

namespace offstage::staging {

struct LockHolder {
    pid_t pid = 0;
    std::string boot_id; // /proc/sys/kernel/random/boot_id of the holder's boot
    std::string started; // RFC 3339 UTC
    // "pid 812 of this boot" / "pid 812 of an earlier boot (BOOT_ID)".
    std::string describe() const;
};

class RunLock {
public:
    struct Taken;

    // Takes the lock, waiting up to `wait` for a live holder to finish. Returns nullopt when
    // the budget ran out (the caller exits busy). Creates the lock file (0600) and its parent
    // (0755) when missing. Throws std::system_error naming the file for anything else: a lock
    // path that is a symlink or not a regular file is refused, not followed.
    static std::optional<Taken> acquire(const std::filesystem::path& path,
                                        std::chrono::milliseconds wait);

    // The live holder, or nullopt when nobody holds the lock (for `offstage status`).
    static std::optional<LockHolder> live_holder(const std::filesystem::path& path);

    RunLock(RunLock&&) noexcept = default;
    RunLock& operator=(RunLock&&) noexcept = default;
    // Clears the holder lines, then releases: a file with lines and no lock is a crash.
    ~RunLock();

private:
    explicit RunLock(platform::UniqueFd fd)
        : fd_(std::move(fd)) {}
    platform::UniqueFd fd_;
};

struct RunLock::Taken {
    RunLock lock;
    // The holder a crashed run or a reboot left behind, reported by the caller.
    std::optional<LockHolder> stale;
};

// This boot's id, from /proc/sys/kernel/random/boot_id ("" when unreadable).
std::string current_boot_id();

} // namespace offstage::staging
