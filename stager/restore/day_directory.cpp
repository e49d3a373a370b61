#include "stager/restore/day_directory.hpp"

#include "platform/system_error.hpp"
#include "stager/restore/day_verifier.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::restore {

namespace {

constexpr int max_depth = 16;

std::string kind_of(mode_t mode) {
    if (S_ISREG(mode)) {
        return "file";
    }
    if (S_ISDIR(mode)) {
        return "directory";
    }
    if (S_ISLNK(mode)) {
        return "symlink";
    }
    if (S_ISFIFO(mode)) {
        return "fifo";
    }
    if (S_ISSOCK(mode)) {
        return "socket";
    }
    return "device";
}

std::vector<std::string_view> components_of(std::string_view name) {
    std::vector<std::string_view> components;
    while (true) {
        std::size_t slash = name.find('/');
        components.push_back(name.substr(0, slash));
        if (slash == std::string_view::npos) {
            return components;
        }
        name.remove_prefix(slash + 1);
    }
}

struct DirCloser {
    void operator()(DIR* dir) const { ::closedir(dir); }
};

} // namespace

DayDirectory::DayDirectory(const std::filesystem::path& path)
    : path_(path)
    , fd_(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (!fd_) {
        platform::throw_errno("open the day directory " + path.string());
    }
}

DayDirectory::Opened DayDirectory::open_file(std::string_view name) const {
    Opened result;
    auto components = components_of(name);
    for (std::string_view component : components) {
        if (component.empty() || component == "." || component == ".." ||
            component.find('\0') != std::string_view::npos) {
            result.state = Opened::State::refused;
            result.problem = "an unsafe name (empty, '.' or '..' component, or absolute)";
            return result;
        }
    }
    auto fail_with = [&](int error, const std::string& where) {
        if (error == ENOENT) {
            result.state = Opened::State::missing;
            result.problem = where.empty() ? "missing" : "missing (no directory " + where + ")";
        } else if (error == ELOOP || error == ENOTDIR) {
            result.state = Opened::State::refused;
            result.problem = where.empty() ? "a symlink, not a regular file (not followed)"
                                           : where + " is a symlink or not a directory (not "
                                                     "followed)";
        } else {
            result.state = Opened::State::read_error;
            result.problem = std::strerror(error);
        }
        return std::move(result);
    };
    platform::UniqueFd parent;
    int at = fd_.get();
    std::string walked;
    for (std::size_t i = 0; i + 1 < components.size(); ++i) {
        std::string component(components[i]);
        walked += (walked.empty() ? "" : "/") + component;
        platform::UniqueFd next(
            ::openat(at, component.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!next) {
            return fail_with(errno, walked);
        }
        parent = std::move(next);
        at = parent.get();
    }
    std::string last(components.back());
    // Look before opening, so that a FIFO or a device is never opened at all (a device's open
    // can have effects); then check again what was opened.
    struct stat info {};
    if (::fstatat(at, last.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
        return fail_with(errno, "");
    }
    if (!S_ISREG(info.st_mode)) {
        if (S_ISLNK(info.st_mode)) {
            return fail_with(ELOOP, "");
        }
        result.state = Opened::State::refused;
        result.problem = "a " + kind_of(info.st_mode) + ", not a regular file";
        return result;
    }
    platform::UniqueFd fd(
        ::openat(at, last.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        return fail_with(errno, "");
    }
    if (::fstat(fd.get(), &info) != 0) {
        return fail_with(errno, "");
    }
    if (!S_ISREG(info.st_mode)) {
        result.state = Opened::State::refused;
        result.problem = "a " + kind_of(info.st_mode) + ", not a regular file";
        return result;
    }
    result.state = Opened::State::open;
    result.fd = std::move(fd);
    return result;
}

std::vector<DayDirectory::Entry> DayDirectory::list() const {
    std::vector<Entry> entries;
    list_into(fd_.get(), "", 0, entries);
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });
    return entries;
}

void DayDirectory::list_into(int dir_fd, const std::string& prefix, int depth,
                             std::vector<Entry>& entries) const {
    // fdopendir takes the descriptor: give it a copy of our own.
    platform::UniqueFd copy(::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!copy) {
        entries.push_back({prefix.empty() ? "." : prefix, "unreadable directory"});
        return;
    }
    std::unique_ptr<DIR, DirCloser> dir(::fdopendir(copy.get()));
    if (!dir) {
        entries.push_back({prefix.empty() ? "." : prefix, "unreadable directory"});
        return;
    }
    copy.release();
    while (true) {
        errno = 0;
        dirent* entry = ::readdir(dir.get());
        if (entry == nullptr) {
            if (errno != 0) {
                entries.push_back({prefix.empty() ? "." : prefix, "unreadable directory"});
            }
            return;
        }
        std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        std::string relative = prefix.empty() ? name : prefix + "/" + name;
        struct stat info {};
        if (::fstatat(::dirfd(dir.get()), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
            entries.push_back({relative, "unreadable entry"});
            continue;
        }
        if (!S_ISDIR(info.st_mode)) {
            entries.push_back({relative, kind_of(info.st_mode)});
            continue;
        }
        platform::UniqueFd child(::openat(::dirfd(dir.get()), name.c_str(),
                                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child || depth + 1 >= max_depth) {
            entries.push_back(
                {relative, child ? "directory nested too deep" : "unreadable directory"});
            continue;
        }
        list_into(child.get(), relative, depth + 1, entries);
    }
}

WholeFile read_whole(int fd, std::size_t limit) {
    WholeFile whole;
    std::string content;
    char buffer[65536];
    while (true) {
        ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            whole.read_error = true;
            whole.problem = std::string("read: ") + std::strerror(errno);
            return whole;
        }
        if (got == 0) {
            whole.content = std::move(content);
            return whole;
        }
        if (content.size() + static_cast<std::size_t>(got) > limit) {
            whole.problem = "larger than " + human_bytes(limit) + ", not an offstage file";
            return whole;
        }
        content.append(buffer, static_cast<std::size_t>(got));
    }
}

} // namespace offstage::restore
