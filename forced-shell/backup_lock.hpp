// The single-backup lock: an flock(2) on [shell] backup_lock, held by the shell while the
// backup command runs and released when the shell exits, even if it is killed.
#pragma once

#include "platform/unique_fd.hpp"

#include <filesystem>
#include <optional>

namespace offstage::forced_shell {

class BackupLock {
public:
    // Takes the lock. `wait`: block until the running backup ends; otherwise return nullopt
    // at once when another backup holds it. Throws std::system_error naming the lock file
    // when it cannot be opened or locked for another reason.
    static std::optional<BackupLock> acquire(const std::filesystem::path& path, bool wait);

private:
    explicit BackupLock(platform::UniqueFd fd)
        : fd_(std::move(fd)) {}
    platform::UniqueFd fd_;
};

} // namespace offstage::forced_shell
