#include "manifests/filesystem_walk.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace offstage::manifests {

namespace {

EntryType type_from_dirent(unsigned char d_type) {
    switch (d_type) {
    case DT_REG:
        return EntryType::regular;
    case DT_LNK:
        return EntryType::symlink;
    case DT_DIR:
        return EntryType::directory;
    case DT_FIFO:
        return EntryType::fifo;
    case DT_SOCK:
        return EntryType::socket;
    case DT_CHR:
        return EntryType::char_device;
    case DT_BLK:
        return EntryType::block_device;
    default:
        return EntryType::unknown;
    }
}

EntryType type_from_mode(mode_t mode) {
    if (S_ISREG(mode)) {
        return EntryType::regular;
    }
    if (S_ISLNK(mode)) {
        return EntryType::symlink;
    }
    if (S_ISDIR(mode)) {
        return EntryType::directory;
    }
    if (S_ISFIFO(mode)) {
        return EntryType::fifo;
    }
    if (S_ISSOCK(mode)) {
        return EntryType::socket;
    }
    if (S_ISCHR(mode)) {
        return EntryType::char_device;
    }
    if (S_ISBLK(mode)) {
        return EntryType::block_device;
    }
    return EntryType::unknown;
}

class Walker {
public:
    Walker(const WalkOptions& options, WalkResult& result)
        : options_(options)
        , result_(result) {}

    void run() {
        std::string root = options_.root.string();
        platform::UniqueFd fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        if (!fd) {
            platform::throw_errno("open root directory " + root);
        }
        struct stat info {};
        if (::fstat(fd.get(), &info) != 0) {
            platform::throw_errno("stat root directory " + root);
        }
        devices_.push_back(info.st_dev);
        for (const std::string& mount : options_.filesystems) {
            std::string host =
                (options_.root / std::filesystem::path(mount).relative_path()).string();
            struct stat mount_info {};
            if (::stat(host.c_str(), &mount_info) != 0) {
                result_.problems.push_back({mount, errno, "stat configured filesystem"});
                continue;
            }
            devices_.push_back(mount_info.st_dev);
        }
        for (const std::filesystem::path& skip : options_.skip_directories) {
            struct stat skip_info {};
            if (::stat(skip.c_str(), &skip_info) == 0) {
                skipped_.emplace_back(skip_info.st_dev, skip_info.st_ino);
            }
        }
        std::string path = "/";
        std::uint32_t index = result_.tree.add_directory(path);
        ++result_.directories;
        walk(std::move(fd), path, index);
    }

private:
    struct Child {
        std::uint32_t offset; // into the names buffer
        std::uint16_t length;
        EntryType type;
    };

    // `path` is the directory's path as seen from the root; restored before returning.
    void walk(platform::UniqueFd fd, std::string& path, std::uint32_t index) {
        int dir_fd = fd.get();
        DIR* dir = ::fdopendir(fd.release());
        if (dir == nullptr) {
            result_.problems.push_back({path, errno, "read directory"});
            ::close(dir_fd);
            return;
        }
        std::string names;
        std::vector<Child> children;
        for (;;) {
            errno = 0;
            dirent* entry = ::readdir(dir);
            if (entry == nullptr) {
                if (errno != 0) {
                    result_.problems.push_back({path, errno, "read directory"});
                }
                break;
            }
            const char* name = entry->d_name;
            if (name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'))) {
                continue;
            }
            EntryType type = type_from_dirent(entry->d_type);
            if (type == EntryType::unknown) {
                // Some filesystems do not fill d_type: ask the inode, without following.
                struct stat info {};
                if (::fstatat(dir_fd, name, &info, AT_SYMLINK_NOFOLLOW) != 0) {
                    result_.problems.push_back({join(path, name), errno, "stat"});
                    continue;
                }
                type = type_from_mode(info.st_mode);
            }
            std::size_t length = std::strlen(name);
            children.push_back({static_cast<std::uint32_t>(names.size()),
                                static_cast<std::uint16_t>(length), type});
            names.append(name, length);
        }
        // Byte order of full paths: a directory sorts as "name/", so its subtree lands exactly
        // where its paths belong among its siblings ("a-b" < "a.c" < "a/x").
        std::sort(children.begin(), children.end(), [&names](const Child& a, const Child& b) {
            std::string_view an(names.data() + a.offset, a.length);
            std::string_view bn(names.data() + b.offset, b.length);
            std::size_t common = std::min(an.size(), bn.size());
            int c = an.substr(0, common).compare(bn.substr(0, common));
            if (c != 0) {
                return c < 0;
            }
            // One is a prefix of the other: the next byte decides, '/' for a dir.
            auto next = [](std::string_view s, std::size_t at, const Child& child) {
                return at < s.size()                        ? static_cast<unsigned char>(s[at])
                       : child.type == EntryType::directory ? '/'
                                                            : 0;
            };
            return next(an, common, a) < next(bn, common, b);
        });

        const std::size_t base_length = path.size();
        for (const Child& child : children) {
            std::string_view name(names.data() + child.offset, child.length);
            if (child.type != EntryType::directory) {
                result_.tree.add_entry(index, name, child.type);
                continue;
            }
            if (base_length != 1) {
                path += '/';
            }
            path.append(name);
            descend(dir_fd, name, path);
            path.resize(base_length);
        }
        ::closedir(dir);
    }

    void descend(int parent_fd, std::string_view name, std::string& path) {
        // The kernel's own trees, even under another root (a chroot being prepared has them).
        if (path == "/proc" || path == "/sys" || path == "/dev") {
            ++result_.pruned;
            return;
        }
        if (options_.prune && options_.prune(path)) {
            ++result_.pruned;
            return;
        }
        std::string name_z(name);
        platform::UniqueFd fd(
            ::openat(parent_fd, name_z.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            result_.problems.push_back({path, errno, "open directory"});
            return;
        }
        struct stat info {};
        if (::fstat(fd.get(), &info) != 0) {
            result_.problems.push_back({path, errno, "stat directory"});
            return;
        }
        if (std::find(devices_.begin(), devices_.end(), info.st_dev) == devices_.end()) {
            ++result_.other_filesystems;
            return;
        }
        if (std::find(skipped_.begin(), skipped_.end(), std::pair(info.st_dev, info.st_ino)) !=
            skipped_.end()) {
            ++result_.pruned;
            return;
        }
        std::uint32_t index = result_.tree.add_directory(path);
        ++result_.directories;
        walk(std::move(fd), path, index);
    }

    static std::string join(const std::string& directory, std::string_view name) {
        return directory == "/" ? "/" + std::string(name) : directory + "/" + std::string(name);
    }

    const WalkOptions& options_;
    WalkResult& result_;
    std::vector<dev_t> devices_;
    std::vector<std::pair<dev_t, ino_t>> skipped_;
};

} // namespace

WalkResult FilesystemWalk::run(const WalkOptions& options) {
    WalkResult result;
    Walker walker(options, result);
    walker.run();
    return result;
}

} // namespace offstage::manifests
