// The scanned root, held open: a path of the scanned system is opened below it the way that
// system itself would resolve it (its absolute symlinks and its ".." stay inside the root:
// openat2's RESOLVE_IN_ROOT), so that no name in the root's own files or symlinks can make
// offstage read a file of the host outside it.
#pragma once

#include "platform/unique_fd.hpp"

#include <filesystem>
#include <string>
#include <string_view>

namespace offstage::manifests {

class RootDirectory {
public:
    // Throws std::system_error naming the root when it cannot be opened.
    explicit RootDirectory(const std::filesystem::path& root);

    // Opens `path` (absolute, as seen from the root) with `flags` (O_CLOEXEC is added). On
    // failure the descriptor is invalid and errno says why. Where the kernel has no openat2
    // (before 5.6, or filtered), each component is opened without following any symlink and a
    // ".." component is refused with EXDEV: stricter, never looser.
    platform::UniqueFd open(std::string_view path, int flags) const;

    // ROOT + path, for messages.
    std::string host_path(std::string_view path) const;
    const std::filesystem::path& path() const { return root_; }

private:
    std::filesystem::path root_;
    platform::UniqueFd fd_;
};

} // namespace offstage::manifests
