// The staging root, opened once, and the paths a pull names below it. Each path is resolved
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS), so `..` and symlinks cannot leave the
// root, and handed to rsync as /proc/self/fd/N/... over a held descriptor (as rrsync 3.5.0
// does), so a swap of a checked component after the check cannot redirect rsync.
#pragma once

#include "platform/unique_fd.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::forced_shell {

class StagingRoot {
public:
    // Opens the root; throws std::system_error naming it when it cannot be opened.
    explicit StagingRoot(const std::filesystem::path& root);

    // Resolves `path` (as returned by relative_staging_path()) and returns the argument to
    // give rsync. Throws Refusal when the path does not exist, leaves the root, or resolves
    // into a `.incoming*` work directory; std::system_error when the kernel cannot do the
    // check at all (it never falls back to an unchecked path).
    // `relative`: rsync runs with -R, so the argument must keep the provider's path as the
    // transmitted name (the part after a "/./" marker, or all of it).
    std::string pin(const std::string& path, bool relative);

    // The descriptors rsync must inherit for the returned arguments to work.
    std::vector<int> pinned_descriptors() const;
    // The root's real path (what --confine-root gets) and descriptor (rsync's working dir).
    const std::string& real_path() const { return real_path_; }
    int descriptor() const { return root_.get(); }

private:
    platform::UniqueFd open_beneath(const std::string& path, bool directory,
                                    const std::string& as_sent) const;
    int keep(platform::UniqueFd fd);

    platform::UniqueFd root_;
    std::string real_path_;
    std::vector<platform::UniqueFd> pinned_;
};

} // namespace offstage::forced_shell
