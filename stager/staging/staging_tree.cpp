#include "stager/staging/staging_tree.hpp"

#include "platform/staging_layout.hpp"
#include "platform/system_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::staging {

namespace layout = platform::staging_layout;

namespace {

[[noreturn]] void fail(const std::string& what) {
    throw StagingError(what);
}

[[noreturn]] void fail_errno(const std::string& what) {
    throw StagingError(what + ": " + std::strerror(errno));
}

void fsync_path(const std::filesystem::path& path, int flags) {
    platform::UniqueFd fd(::open(path.c_str(), flags | O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd || ::fsync(fd.get()) != 0) {
        fail_errno("fsync " + path.string());
    }
}

// Owner, group and mode for the pull user, then fsync; children before their directory.
void seal_tree(const std::filesystem::path& directory, const PullAccess& access) {
    for (const auto& entry : std::filesystem::directory_iterator(directory)) {
        const std::filesystem::path& path = entry.path();
        struct stat info {};
        if (::lstat(path.c_str(), &info) != 0) {
            fail_errno("stat " + path.string());
        }
        if (S_ISDIR(info.st_mode)) {
            seal_tree(path, access);
            continue;
        }
        if (!S_ISREG(info.st_mode)) {
            fail("publish: " + path.string() + " is neither a file nor a directory");
        }
        if (::lchown(path.c_str(), ::geteuid(), access.group) != 0 ||
            ::chmod(path.c_str(), access.file_mode) != 0) {
            fail_errno("set the pull user's access on " + path.string());
        }
        fsync_path(path, 0);
    }
    if (::lchown(directory.c_str(), ::geteuid(), access.group) != 0 ||
        ::chmod(directory.c_str(), access.directory_mode) != 0) {
        fail_errno("set the pull user's access on " + directory.string());
    }
    fsync_path(directory, O_DIRECTORY);
}

// A name for a dir in the work root that nothing else uses: PREFIX DAY-XXXXXX.
std::filesystem::path fresh_name(const std::filesystem::path& work_root, std::string_view prefix,
                                 std::string_view day) {
    std::string pattern = (work_root / (std::string(prefix) + std::string(day) + "-XXXXXX"));
    if (::mkdtemp(pattern.data()) == nullptr) {
        fail_errno("create a directory in the work root " + work_root.string());
    }
    return pattern;
}

void check_root(const std::filesystem::path& root, const char* what, struct stat& info) {
    if (::lstat(root.c_str(), &info) != 0) {
        fail_errno(std::string(what) + " " + root.string());
    }
    if (!S_ISDIR(info.st_mode)) {
        fail(std::string(what) + " " + root.string() +
             " is not a directory (a symlink is not "
             "followed)");
    }
    if (info.st_uid != ::geteuid()) {
        fail(std::string(what) + " " + root.string() + " belongs to uid " +
             std::to_string(info.st_uid) + ", not to the user running offstage");
    }
}

} // namespace

WorkDir::WorkDir(std::string day, std::filesystem::path path, platform::UniqueFd fd)
    : day_(std::move(day))
    , path_(std::move(path))
    , fd_(std::move(fd)) {}

WorkDir::WorkDir(WorkDir&& other) noexcept
    : day_(std::move(other.day_))
    , path_(std::move(other.path_))
    , fd_(std::move(other.fd_))
    , published_(std::exchange(other.published_, true)) {}

WorkDir::~WorkDir() {
    if (!published_ && !path_.empty()) {
        std::error_code ignored; // a leftover is removed by the next run
        std::filesystem::remove_all(path_, ignored);
    }
}

StagingTree::StagingTree(std::filesystem::path served_root, std::filesystem::path work_root)
    : served_root_(std::move(served_root))
    , work_root_(std::move(work_root)) {
    struct stat served {};
    check_root(served_root_, "staging root", served);
    if (::mkdir(work_root_.c_str(), 0700) != 0 && errno != EEXIST) {
        fail_errno("create the work root " + work_root_.string());
    }
    struct stat work {};
    check_root(work_root_, "work root", work);
    if ((work.st_mode & 077) != 0) {
        fail("work root " + work_root_.string() +
             " is open to group or others (a run in progress must not be readable: chmod 0700)");
    }
    if (served.st_dev != work.st_dev) {
        fail("work root " + work_root_.string() + " and staging root " + served_root_.string() +
             " are on different filesystems (publishing must be one rename)");
    }
    std::filesystem::path served_normal = std::filesystem::weakly_canonical(served_root_);
    std::filesystem::path work_normal = std::filesystem::weakly_canonical(work_root_);
    auto [end, ignored] = std::mismatch(served_normal.begin(), served_normal.end(),
                                        work_normal.begin(), work_normal.end());
    if (end == served_normal.end()) {
        fail("work root " + work_root_.string() + " lies inside the staging root " +
             served_root_.string() + ", which the provider pulls");
    }
}

std::vector<std::string> StagingTree::complete_days() const {
    std::vector<std::string> days;
    for (const auto& entry : std::filesystem::directory_iterator(served_root_)) {
        std::string name = entry.path().filename().string();
        struct stat info {};
        if (layout::is_day_name(name) && entry.is_directory() && !entry.is_symlink() &&
            ::lstat((entry.path() / layout::signature_name).c_str(), &info) == 0 &&
            S_ISREG(info.st_mode)) {
            days.push_back(std::move(name));
        }
    }
    std::sort(days.begin(), days.end());
    return days;
}

std::vector<std::string> StagingTree::remove_leftovers() const {
    std::vector<std::string> removed;
    for (const auto& entry : std::filesystem::directory_iterator(work_root_)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(layout::work_dir_prefix) ||
            name.starts_with(layout::retired_dir_prefix)) {
            std::filesystem::remove_all(entry.path());
            removed.push_back(std::move(name));
        }
    }
    std::sort(removed.begin(), removed.end());
    return removed;
}

WorkDir StagingTree::begin(std::string_view day) const {
    if (!layout::is_day_name(day)) {
        fail("'" + std::string(day) + "' is not a day (YYYY-MM-DD)");
    }
    std::filesystem::path path = fresh_name(work_root_, layout::work_dir_prefix, day);
    platform::UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        int error = errno;
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        errno = error;
        fail_errno("open the work dir " + path.string());
    }
    return WorkDir(std::string(day), std::move(path), std::move(fd));
}

PublishResult StagingTree::publish(WorkDir& work, const PullAccess& access) const {
    if (work.published_) {
        fail("publish: the work dir of " + work.day() + " was already published");
    }
    struct stat info {};
    if (::lstat((work.path() / layout::signature_name).c_str(), &info) != 0 ||
        !S_ISREG(info.st_mode)) {
        fail("publish: " + work.path().string() + " has no " + std::string(layout::signature_name) +
             " (an unsigned tree is not complete)");
    }
    seal_tree(work.path(), access);

    PublishResult result;
    std::filesystem::path target = served_root_ / work.day();
    if (::renameat2(AT_FDCWD, work.path().c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) ==
        0) {
        work.published_ = true;
    } else if (errno == EEXIST) {
        // A second run on the same day: the old tree stays servable up to the exchange.
        if (::renameat2(AT_FDCWD, work.path().c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) !=
            0) {
            fail_errno("publish " + work.day() + ": exchange with the existing tree");
        }
        work.published_ = true;
        result.replaced_day = true;
        // The old tree now sits at the work dir's name, inside the 0700 work root.
        std::filesystem::path retired =
            fresh_name(work_root_, layout::retired_dir_prefix, work.day());
        if (::rename(work.path().c_str(), retired.c_str()) != 0) {
            fail_errno("retire the replaced tree of " + work.day());
        }
        std::filesystem::remove_all(retired);
    } else {
        fail_errno("publish " + work.path().string() + " as " + target.string());
    }
    fsync_path(served_root_, O_DIRECTORY);
    fsync_path(work_root_, O_DIRECTORY);
    return result;
}

void StagingTree::retire(const std::filesystem::path& from) const {
    std::string day = from.filename().string();
    std::filesystem::path retired = fresh_name(work_root_, layout::retired_dir_prefix, day);
    // rename(2) replaces the fresh empty dir: the served name disappears in one step.
    if (::rename(from.c_str(), retired.c_str()) != 0) {
        fail_errno("move " + from.string() + " out of the staging root");
    }
    std::filesystem::remove_all(retired);
}

std::vector<std::string> StagingTree::prune(std::size_t keep) const {
    keep = std::max<std::size_t>(keep, 1);
    std::vector<std::string> days = complete_days();
    std::vector<std::string> removed;
    if (days.size() <= keep) {
        return removed;
    }
    for (std::size_t i = 0; i + keep < days.size(); ++i) {
        retire(served_root_ / days[i]);
        removed.push_back(days[i]);
    }
    fsync_path(served_root_, O_DIRECTORY);
    return removed;
}

} // namespace offstage::staging
