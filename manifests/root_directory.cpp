#include "manifests/root_directory.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <cstdint>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace offstage::manifests {

RootDirectory::RootDirectory(const std::filesystem::path& root)
    : root_(root)
    , fd_(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!fd_) {
        platform::throw_errno("open root directory " + root.string());
    }
}

std::string RootDirectory::host_path(std::string_view path) const {
    std::string full = root_.string();
    while (!full.empty() && full.back() == '/') {
        full.pop_back();
    }
    return full.append(path);
}

platform::UniqueFd RootDirectory::open(std::string_view path, int flags) const {
    std::string relative(path);
    while (!relative.empty() && relative.front() == '/') {
        relative.erase(relative.begin());
    }
    if (relative.empty()) {
        relative = ".";
    }
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    long fd = ::syscall(SYS_openat2, fd_.get(), relative.c_str(), &how, sizeof how);
    if (fd >= 0) {
        return platform::UniqueFd(static_cast<int>(fd));
    }
    if (errno != ENOSYS && errno != EPERM && errno != E2BIG) {
        return platform::UniqueFd();
    }
    // No openat2: one component at a time, never through a symlink.
    platform::UniqueFd current;
    std::size_t begin = 0;
    while (true) {
        std::size_t end = relative.find('/', begin);
        bool last = end == std::string::npos;
        std::string name = relative.substr(begin, last ? std::string::npos : end - begin);
        if (name == "..") {
            errno = EXDEV;
            return platform::UniqueFd();
        }
        int parent = current ? current.get() : fd_.get();
        int component_flags =
            last ? flags | O_CLOEXEC : O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
        if (last && name != ".") {
            component_flags |= O_NOFOLLOW; // a final symlink is refused (ELOOP), not followed
        }
        platform::UniqueFd next(::openat(parent, name.c_str(), component_flags));
        if (!next || last) {
            return next;
        }
        current = std::move(next);
        begin = end + 1;
    }
}

} // namespace offstage::manifests
