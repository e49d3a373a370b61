// The staging tree on disk (docs/staging-tree.md): complete days under the served root, work
// dirs in a separate work root on the same filesystem, publish by one rename (or an exchange
// when the day already exists), prune only after a publish. A pull only ever sees complete
// trees, and a crash at any point leaves at most a hidden dir in the work root, which
// remove_leftovers() clears.
#pragma once

#include "platform/unique_fd.hpp"

#include <cstddef>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace offstage::staging {

class StagingError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Who may read a published tree: owner root (the effective uid), group `group`, files 0640,
// directories 0750. Nothing world-readable, nothing writable by the pull user.
struct PullAccess {
    gid_t group = 0;
    mode_t file_mode = 0640;
    mode_t directory_mode = 0750;
};

// A day being built: `.incoming-DAY-XXXXXX` in the work root, mode 0700. Removed with
// everything in it when destroyed unpublished.
class WorkDir {
public:
    WorkDir(WorkDir&& other) noexcept;
    WorkDir& operator=(WorkDir&&) = delete;
    ~WorkDir();

    const std::string& day() const { return day_; }
    const std::filesystem::path& path() const { return path_; }
    int fd() const { return fd_.get(); }

private:
    friend class StagingTree;
    WorkDir(std::string day, std::filesystem::path path, platform::UniqueFd fd);
    std::string day_;
    std::filesystem::path path_;
    platform::UniqueFd fd_;
    bool published_ = false;
};

struct PublishResult {
    bool replaced_day = false; // a tree of the same day was exchanged out and removed
};

class StagingTree {
public:
    // Checks both roots: the served root must exist; the work root is created (0700) when
    // missing; both must be directories owned by the effective user, the work root closed to
    // group and others, and both on one filesystem. Throws StagingError saying which.
    StagingTree(std::filesystem::path served_root, std::filesystem::path work_root);

    const std::filesystem::path& served_root() const { return served_root_; }
    const std::filesystem::path& work_root() const { return work_root_; }

    // Day directories of the served root that hold a signature (complete trees), oldest first.
    std::vector<std::string> complete_days() const;

    // Removes `.incoming-*` and `.retired-*` dirs left in the work root by crashed runs;
    // returns their names. Call with the run lock held.
    std::vector<std::string> remove_leftovers() const;

    // A fresh work dir for `day` (a day name: StagingError otherwise).
    WorkDir begin(std::string_view day) const;

    // fsyncs every file and directory of `work`, sets owner/group/modes from `access`, then
    // renames it to SERVED_ROOT/DAY in one step (exchanging with an existing tree of that day,
    // which is then removed). Refuses a work dir without SHA256SUMS.minisig (not complete) or
    // holding anything but regular files and directories.
    PublishResult publish(WorkDir& work, const PullAccess& access) const;

    // Removes complete trees beyond the newest `keep` (at least 1), oldest first, each first
    // renamed out of the served root. Returns the days removed. Call only after a publish.
    std::vector<std::string> prune(std::size_t keep) const;

private:
    // Renames `name` of the served root into the work root as `.retired-*`, then removes it.
    void retire(const std::filesystem::path& from) const;

    std::filesystem::path served_root_;
    std::filesystem::path work_root_;
};

} // namespace offstage::staging
