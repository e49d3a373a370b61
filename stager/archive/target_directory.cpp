#include "stager/archive/target_directory.hpp"

#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "stager/archive/extract_errors.hpp"

#include <cerrno>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

constexpr int directory_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

std::string quoted_name(const std::string& name) {
    return "'" + platform::printable_name(name) + "'";
}

std::string owner_name(uid_t uid) {
    passwd entry{};
    passwd* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
        return std::string(" (") + found->pw_name + ")";
    }
    return {};
}

std::string joined(const std::vector<std::string>& components, std::size_t count) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        text += (i > 0 ? "/" : "") + components[i];
    }
    return text;
}

platform::UniqueFd duplicate(int fd) {
    platform::UniqueFd copy(::fcntl(fd, F_DUPFD_CLOEXEC, 0));
    if (!copy) {
        platform::throw_errno("duplicate a directory descriptor");
    }
    return copy;
}

} // namespace

TargetDirectory TargetDirectory::open(const std::filesystem::path& path, bool as_root) {
    // "dir/", "dir/." and "dir//" name dir; stripped, O_NOFOLLOW applies to dir itself
    // (a trailing '/' would make the kernel follow a symlink there).
    std::string text = path.string();
    for (;;) {
        if (text.size() > 1 && text.back() == '/') {
            text.pop_back();
        } else if (text.size() > 2 && text.ends_with("/.")) {
            text.resize(text.size() - 2);
        } else {
            break;
        }
    }
    if (text.empty()) {
        throw UnsafeTargetError("the target directory is an empty name");
    }
    const std::string shown = platform::printable_name(text);
    platform::UniqueFd fd(::open(text.c_str(), directory_flags));
    if (!fd && errno == ENOENT) {
        std::error_code error;
        std::filesystem::create_directories(text, error);
        if (error) {
            throw std::system_error(error, "create the target directory " + shown);
        }
        fd.reset(::open(text.c_str(), directory_flags));
    }
    if (!fd) {
        const int error = errno;
        struct stat st {};
        if (::lstat(text.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
            throw UnsafeTargetError("the target directory " + shown +
                                    " is a symlink: refusing to follow it (give the directory "
                                    "it points to, if that is the one meant)");
        }
        if (error == ENOTDIR) {
            throw UnsafeTargetError("the target " + shown + " is not a directory");
        }
        platform::throw_errno(error, "open the target directory " + shown);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        platform::throw_errno("stat the target directory " + shown);
    }
    if ((st.st_mode & S_IWOTH) != 0 && (st.st_mode & S_ISVTX) == 0) {
        throw UnsafeTargetError("the target directory " + shown +
                                " is world-writable without the sticky bit: anyone could "
                                "rearrange what is extracted there");
    }
    if (as_root && st.st_uid != 0) {
        throw UnsafeTargetError("the target directory " + shown + " is owned by uid " +
                                std::to_string(st.st_uid) + owner_name(st.st_uid) +
                                ", not root: its owner could rearrange what root extracts there");
    }
    return TargetDirectory(text, std::move(fd));
}

platform::UniqueFd TargetDirectory::open_parent(const BeneathPath& entry, bool create) {
    return walk(entry.components(), entry.components().size() - 1, create);
}

platform::UniqueFd TargetDirectory::open_directory(const BeneathPath& entry) {
    return walk(entry.components(), entry.components().size(), false);
}

void TargetDirectory::forget_last_walk() {
    last_components_.clear();
    last_fd_.reset();
}

platform::UniqueFd TargetDirectory::walk(const std::vector<std::string>& components,
                                         std::size_t count, bool create) {
    // Start from the last directory walked to when it is on the way, else from the target.
    std::size_t done = 0;
    int from = fd_.get();
    if (last_fd_ && last_components_.size() <= count &&
        std::equal(last_components_.begin(), last_components_.end(), components.begin())) {
        done = last_components_.size();
        from = last_fd_.get();
    }
    if (done == count && done > 0) {
        return duplicate(from);
    }
    platform::UniqueFd current = duplicate(from);
    for (; done < count; ++done) {
        const std::string& name = components[done];
        platform::UniqueFd next(::openat(current.get(), name.c_str(), directory_flags));
        if (!next && errno == ENOENT && create) {
            if (::mkdirat(current.get(), name.c_str(), 0755) != 0 && errno != EEXIST) {
                const int error = errno;
                throw_entry_error(error, "create the directory " +
                                             quoted_name(joined(components, done + 1)));
            }
            next.reset(::openat(current.get(), name.c_str(), directory_flags));
        }
        if (!next) {
            const int error = errno;
            const std::string where = quoted_name(joined(components, done + 1));
            struct stat st {};
            if (error == ELOOP || error == ENOTDIR) {
                if (::fstatat(current.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                    S_ISLNK(st.st_mode)) {
                    throw EntryNotExtracted(where + " is a symlink: not followed");
                }
                throw EntryNotExtracted(where + " is not a directory");
            }
            throw_entry_error(error, "open the directory " + where);
        }
        current = std::move(next);
    }
    last_components_.assign(components.begin(), components.begin() + count);
    last_fd_ = duplicate(current.get());
    return current;
}

} // namespace offstage::archive
