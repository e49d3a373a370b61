#include "forced-shell/backup_lock.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/file.h>

namespace offstage::forced_shell {

std::optional<BackupLock> BackupLock::acquire(const std::filesystem::path& path, bool wait) {
    // Close-on-exec: the backup command must not keep the lock after the shell is gone.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        platform::throw_errno("open backup lock " + path.string());
    }
    platform::UniqueFd owned(fd);
    while (::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno == EWOULDBLOCK) {
            return std::nullopt;
        }
        platform::throw_errno("flock backup lock " + path.string());
    }
    return BackupLock(std::move(owned));
}

} // namespace offstage::forced_shell
