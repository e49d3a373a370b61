#include "stager/archive/beneath_root.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>

namespace offstage::archive {

namespace {

// Below this depth every directory keeps its descriptor; deeper, only the last parent does, so a
// hostile tree thousands of levels deep costs a walk per path but never all the descriptors.
constexpr std::size_t kept_depth = 64;

// O_PATH: a directory is only passed through, never read, so it needs no read permission and
// no open of the file system's own. O_NOFOLLOW with O_DIRECTORY: a symlink fails (ENOTDIR).
constexpr int directory_flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

} // namespace

BeneathRoot::BeneathRoot()
    : root_(::open("/", directory_flags)) {
    if (!root_) {
        platform::throw_errno("open /");
    }
}

int BeneathRoot::base_fd() const {
    return relative_ ? AT_FDCWD : root_.get();
}

BeneathRoot::Location BeneathRoot::locate(const std::string& path) {
    const bool relative = path.empty() || path.front() != '/';
    if (relative != relative_) {
        levels_.clear();
        relative_ = relative;
    }
    parts_.clear();
    const std::string_view text(path);
    for (std::size_t start = 0; start < text.size();) {
        std::size_t end = text.find('/', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        std::string_view part = text.substr(start, end - start);
        if (!part.empty() && part != ".") {
            parts_.push_back(part);
        }
        start = end + 1;
    }
    if (parts_.empty()) {
        last_ = ".";
        return Location{base_fd(), last_.c_str(), {}};
    }

    // Keep the directories this path shares with the last one, down to one that still has its
    // descriptor, and open the rest from there.
    const std::size_t parents = parts_.size() - 1;
    std::size_t kept = 0;
    while (kept < levels_.size() && kept < parents && levels_[kept].name == parts_[kept]) {
        ++kept;
    }
    while (kept > 0 && !levels_[kept - 1].fd) {
        --kept;
    }
    levels_.erase(levels_.begin() + static_cast<std::ptrdiff_t>(kept), levels_.end());
    for (std::size_t i = kept; i < parents; ++i) {
        const int above = i == 0 ? base_fd() : levels_[i - 1].fd.get();
        std::string name(parts_[i]);
        platform::UniqueFd fd(::openat(above, name.c_str(), directory_flags));
        if (!fd) {
            return Location{-1, nullptr, unreachable(above, name, i + 1, errno)};
        }
        if (i > kept_depth) {
            levels_[i - 1].fd.reset();
        }
        levels_.push_back(Level{std::move(name), std::move(fd)});
    }
    last_.assign(parts_.back());
    return Location{parents == 0 ? base_fd() : levels_.back().fd.get(), last_.c_str(), {}};
}

// Why component `number` (from 1) of a path could not be opened from `above`. The component is
// not quoted: the path it belongs to is printed (escaped) beside this text.
std::string BeneathRoot::unreachable(int above, const std::string& name, std::size_t number,
                                     int error) const {
    const std::string component = "component " + std::to_string(number) + " of its path";
    if (error == ENOENT) {
        return "vanished before it was read: " + component + " is gone";
    }
    if (error == ENOTDIR || error == ELOOP) {
        struct stat st {};
        if (::fstatat(above, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            return "not archived: " + component +
                   " is a symlink, and no symlink on the way to an entry is followed (was a "
                   "directory swapped for it?)";
        }
        return "not archived: " + component + " is not a directory (any more)";
    }
    return "unreadable: " + component + ": openat: " + std::strerror(error);
}

} // namespace offstage::archive
