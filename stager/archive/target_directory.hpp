// The directory an extraction writes into, held open by descriptor. Every path below it is
// reached from that descriptor one component at a time, each opened with O_NOFOLLOW and
// O_DIRECTORY, so no symlink is ever followed and no rename or symlink swap anywhere below,
// before or during the walk, can send a write outside: the next step starts from a directory
// already held, whatever its name has become. The extraction then creates, opens and changes
// entries relative to the descriptor of their parent (openat, mkdirat, symlinkat, linkat,
// mknodat), never through a path.
#pragma once

#include "platform/unique_fd.hpp"
#include "stager/archive/beneath_path.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::archive {

class TargetDirectory {
public:
    // Opens `path`, creating it (and its parents) if missing. Refuses, with UnsafeTargetError
    // naming the reason: a symlink (even with a trailing '/'), something not a directory, a
    // directory world-writable without the sticky bit, and, when `as_root`, a directory not
    // owned by root (its owner could rearrange it under root's feet). The path's parents are
    // the caller's to choose and are followed as given.
    static TargetDirectory open(const std::filesystem::path& path, bool as_root);

    const std::filesystem::path& path() const { return path_; }
    int fd() const { return fd_.get(); }

    // The directory holding `entry`'s leaf (the entry must not be the target itself), reached
    // from the target as described above. `create`: missing directories on the way are made
    // (mode 0755 less the umask, as tar does). A component that is a symlink or not a
    // directory, or missing without `create`, throws EntryNotExtracted naming it; a failing
    // disk throws std::system_error.
    platform::UniqueFd open_parent(const BeneathPath& entry, bool create);
    // `entry` itself, a directory, reached the same way; nothing is created.
    platform::UniqueFd open_directory(const BeneathPath& entry);

    // Forgets the last directory walked to (kept because consecutive entries mostly share
    // their parent): call after removing a directory below the target.
    void forget_last_walk();

private:
    TargetDirectory(std::filesystem::path path, platform::UniqueFd fd)
        : path_(std::move(path))
        , fd_(std::move(fd)) {}
    platform::UniqueFd walk(const std::vector<std::string>& components, std::size_t count,
                            bool create);

    std::filesystem::path path_;
    platform::UniqueFd fd_;
    std::vector<std::string> last_components_;
    platform::UniqueFd last_fd_;
};

} // namespace offstage::archive
