#include "forced-shell/staging_root.hpp"

#include "forced-shell/refusal.hpp"
#include "platform/staging_layout.hpp"
#include "platform/system_error.hpp"

#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace offstage::forced_shell {

namespace {

std::string fd_path(int fd) {
    return "/proc/self/fd/" + std::to_string(fd);
}

// What the kernel says a descriptor names now (the magic link's target).
std::string real_path_of(int fd, const std::string& what) {
    char buffer[PATH_MAX];
    ssize_t length = ::readlink(fd_path(fd).c_str(), buffer, sizeof buffer);
    if (length < 0 || static_cast<std::size_t>(length) >= sizeof buffer) {
        platform::throw_errno(length < 0 ? errno : ENAMETOOLONG,
                              "readlink " + fd_path(fd) + " for " + what);
    }
    return std::string(buffer, static_cast<std::size_t>(length));
}

std::string strip_trailing_slashes(std::string path) {
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    return path;
}

} // namespace

StagingRoot::StagingRoot(const std::filesystem::path& root) {
    int fd = ::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        platform::throw_errno("open staging root " + root.string());
    }
    root_.reset(fd);
    real_path_ = real_path_of(fd, "staging root " + root.string());
}

platform::UniqueFd StagingRoot::open_beneath(const std::string& path, bool directory,
                                             const std::string& as_sent) const {
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC | (directory ? O_DIRECTORY : 0);
    // BENEATH: no absolute symlink, no `..` above the root, no escape by any route;
    // NO_MAGICLINKS: no /proc-style jumps from inside the tree.
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const char* name = path.empty() ? "." : path.c_str();
    long fd = ::syscall(SYS_openat2, root_.get(), name, &how, sizeof how);
    if (fd >= 0) {
        platform::UniqueFd result(static_cast<int>(fd));
        std::string real = real_path_of(result.get(), "path " + escape_excerpt(as_sent));
        // Belt and braces over RESOLVE_BENEATH, and the check that a symlink inside the
        // tree does not lead into a run in progress.
        std::string below;
        if (real == real_path_) {
            below = "";
        } else if (real_path_ == "/" && real.size() > 1) {
            below = real.substr(1);
        } else if (real.compare(0, real_path_.size() + 1, real_path_ + "/") == 0) {
            below = real.substr(real_path_.size() + 1);
        } else {
            throw Refusal("path " + escape_excerpt(as_sent) + " resolves outside the staging root");
        }
        std::size_t start = 0;
        while (start <= below.size() && !below.empty()) {
            std::size_t end = below.find('/', start);
            if (end == std::string::npos) {
                end = below.size();
            }
            if (platform::staging_layout::is_fenced_name(
                    std::string_view(below).substr(start, end - start))) {
                throw Refusal("path " + escape_excerpt(as_sent) +
                              " resolves into a run in progress (.incoming*)");
            }
            start = end + 1;
        }
        return result;
    }
    int error = errno;
    switch (error) {
    case EXDEV:
    case ELOOP:
        throw Refusal("path " + escape_excerpt(as_sent) +
                      " leaves the staging root (through a symlink or ..)");
    case ENOENT:
        throw Refusal("path " + escape_excerpt(as_sent) + " does not exist in the staging tree");
    case ENOTDIR:
        throw Refusal("path " + escape_excerpt(as_sent) + " is not a directory");
    case EACCES:
    case EPERM:
        throw Refusal("path " + escape_excerpt(as_sent) + " is not readable");
    case ENAMETOOLONG:
        throw Refusal("path " + escape_excerpt(as_sent) + " is too long");
    default:
        // ENOSYS (a kernel before 5.6), EAGAIN, ...: the check cannot be made, so nothing
        // is served.
        platform::throw_errno(error, "openat2 below " + real_path_ + " for path " +
                                         escape_excerpt(as_sent));
    }
}

int StagingRoot::keep(platform::UniqueFd fd) {
    struct stat held {};
    if (::fstat(fd.get(), &held) != 0) {
        platform::throw_errno("fstat " + fd_path(fd.get()));
    }
    // One descriptor per directory, as rrsync does: several paths in one day share it.
    for (const platform::UniqueFd& existing : pinned_) {
        struct stat other {};
        if (::fstat(existing.get(), &other) == 0 && other.st_dev == held.st_dev &&
            other.st_ino == held.st_ino) {
            return existing.get();
        }
    }
    pinned_.push_back(std::move(fd));
    return pinned_.back().get();
}

std::string StagingRoot::pin(const std::string& path, bool relative) {
    // The whole path must resolve beneath the root, whatever rsync later does with it.
    platform::UniqueFd whole = open_beneath(path, false, path);

    if (relative) {
        // With -R rsync transmits everything after a "/./" marker (or the whole argument) as
        // the file's name, so only the anchor before it can be held; the components after it
        // were just checked and the deployment keeps them unwritable by the pull user.
        std::size_t marker = path.find("/./");
        std::string anchor = marker == std::string::npos ? "" : path.substr(0, marker);
        std::string rest = marker == std::string::npos ? path : path.substr(marker + 3);
        int anchor_fd = keep(open_beneath(anchor, true, path));
        return fd_path(anchor_fd) + "/./" + (rest.empty() ? "." : rest);
    }

    std::string stripped = strip_trailing_slashes(path);
    bool trailing_dot = false;
    if (stripped.ends_with("/.")) {
        stripped = strip_trailing_slashes(stripped.substr(0, stripped.size() - 2));
        trailing_dot = true;
    }
    if (stripped.empty() || stripped == ".") {
        // The root itself: rsync's working directory is the held root descriptor.
        return ".";
    }
    bool trailing_slash = !trailing_dot && stripped.size() != path.size();
    if (trailing_slash || trailing_dot) {
        // "DIR/" and "DIR/.": rsync opens the directory itself and sends its contents, so the
        // directory is what must be held.
        int fd = keep(open_beneath(stripped, true, path));
        return fd_path(fd) + (trailing_dot ? "/." : "/");
    }
    // "DIR/NAME": rsync sends NAME under its own name, so hold the parent and let rsync look
    // NAME up below it; rsync's sender never follows a symlink there (-L/-k are refused).
    std::size_t slash = stripped.rfind('/');
    std::string parent = slash == std::string::npos ? "" : stripped.substr(0, slash);
    std::string leaf = slash == std::string::npos ? stripped : stripped.substr(slash + 1);
    int parent_fd = keep(open_beneath(parent, true, path));
    // The held parent must still reach the file that was checked.
    struct stat checked {};
    struct stat reached {};
    if (::fstat(whole.get(), &checked) != 0 ||
        ::fstatat(parent_fd, leaf.c_str(), &reached, 0) != 0 || checked.st_dev != reached.st_dev ||
        checked.st_ino != reached.st_ino) {
        throw Refusal("path " + escape_excerpt(path) + " changed while it was being checked");
    }
    return fd_path(parent_fd) + "/" + leaf;
}

std::vector<int> StagingRoot::pinned_descriptors() const {
    std::vector<int> fds;
    fds.reserve(pinned_.size());
    for (const platform::UniqueFd& fd : pinned_) {
        fds.push_back(fd.get());
    }
    return fds;
}

} // namespace offstage::forced_shell
