#include "manifests/filesystem_walk.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <mutex>
#include <sys/stat.h>
#include <thread>
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

// What every walker of one run shares, read-only once the walk has started; and the walk's
// rules for entering a directory, which FilesystemWalk::locate() applies too.
struct WalkScope {
    const WalkOptions& options;
    std::vector<dev_t> devices;                   // filesystems to walk
    std::vector<std::pair<dev_t, ino_t>> skipped; // directories never entered

    // Before opening the directory `path`: the kernel's own trees (even under another root: a
    // chroot being prepared has them), then the caller's prune rule.
    WalkPosition::Outcome before_opening(std::string_view path) const {
        if (path == "/proc" || path == "/sys" || path == "/dev") {
            return WalkPosition::Outcome::kernel_tree;
        }
        if (options.prune && options.prune(path)) {
            return WalkPosition::Outcome::pruned;
        }
        return WalkPosition::Outcome::walked;
    }
    // Once it is open: its filesystem and the skip list.
    WalkPosition::Outcome after_opening(const struct stat& info) const {
        if (std::find(devices.begin(), devices.end(), info.st_dev) == devices.end()) {
            return WalkPosition::Outcome::other_filesystem;
        }
        if (std::find(skipped.begin(), skipped.end(), std::pair(info.st_dev, info.st_ino)) !=
            skipped.end()) {
            return WalkPosition::Outcome::skipped;
        }
        return WalkPosition::Outcome::walked;
    }
};

// The root's device first, then the configured filesystems and the skipped directories; stat
// failures of configured filesystems go to `problems`.
void resolve_scope(WalkScope& scope, int root_fd, std::vector<WalkProblem>& problems) {
    const WalkOptions& options = scope.options;
    struct stat info {};
    if (::fstat(root_fd, &info) != 0) {
        platform::throw_errno("stat root directory " + options.root.string());
    }
    scope.devices.push_back(info.st_dev);
    for (const std::string& mount : options.filesystems) {
        std::string host = (options.root / std::filesystem::path(mount).relative_path()).string();
        struct stat mount_info {};
        if (::stat(host.c_str(), &mount_info) != 0) {
            problems.push_back({mount, errno, "stat configured filesystem"});
            continue;
        }
        scope.devices.push_back(mount_info.st_dev);
    }
    for (const std::filesystem::path& skip : options.skip_directories) {
        struct stat skip_info {};
        if (::stat(skip.c_str(), &skip_info) == 0) {
            scope.skipped.emplace_back(skip_info.st_dev, skip_info.st_ino);
        }
    }
}

platform::UniqueFd open_root(const WalkOptions& options) {
    platform::UniqueFd root_fd(::open(options.root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!root_fd) {
        platform::throw_errno("open root directory " + options.root.string());
    }
    return root_fd;
}

// How the walk opens a directory below its parent: never through a symlink.
int open_directory_at(int parent_fd, const char* name) {
    return ::openat(parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

struct WalkCounts {
    std::size_t directories = 0;
    std::size_t pruned = 0;
    std::size_t other_filesystems = 0;
};

// A piece of the result in walk order: either entries the first phase found, or a subtree
// (a directory two levels below the root) that a worker thread walks into its own tree.
struct Piece {
    WalkedTree tree;
    std::string task; // the subtree's path; empty for a piece of the first phase
    std::vector<WalkProblem> problems;
    WalkCounts counts;
};

class Walker {
public:
    // `split_depth`: directories at this depth are not entered but handed out as tasks
    // (0: never split).
    Walker(const WalkScope& scope, Piece* piece, std::vector<std::unique_ptr<Piece>>* pieces,
           int split_depth)
        : scope_(scope)
        , piece_(piece)
        , pieces_(pieces)
        , split_depth_(split_depth) {}

    // `path` is the directory's path as seen from the root; restored before returning.
    void walk(platform::UniqueFd fd, std::string& path, std::uint32_t index, int depth) {
        int dir_fd = fd.get();
        DIR* dir = ::fdopendir(fd.release());
        if (dir == nullptr) {
            problem(path, errno, "read directory");
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
                    problem(path, errno, "read directory");
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
                    problem(join(path, name), errno, "stat");
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
            // One is a prefix of the other: the next byte decides, '/' for a directory.
            auto next = [](std::string_view s, std::size_t at, const Child& child) {
                return at < s.size()                        ? static_cast<unsigned char>(s[at])
                       : child.type == EntryType::directory ? '/'
                                                            : 0;
            };
            return next(an, common, a) < next(bn, common, b);
        });

        const std::size_t base_length = path.size();
        Piece* piece = piece_;
        for (const Child& child : children) {
            std::string_view name(names.data() + child.offset, child.length);
            if (piece != piece_) {
                // A subtree was handed out: our entries continue in a fresh piece.
                piece = piece_;
                index = piece->tree.add_directory(path);
            }
            if (child.type != EntryType::directory) {
                piece->tree.add_entry(index, name, child.type);
                continue;
            }
            if (base_length != 1) {
                path += '/';
            }
            path.append(name);
            descend(dir_fd, name, path, depth + 1);
            path.resize(base_length);
        }
        ::closedir(dir);
    }

    // Enters the directory `name` of `parent_fd` (a subtree task when at the split depth).
    void descend(int parent_fd, std::string_view name, std::string& path, int depth) {
        if (scope_.before_opening(path) != WalkPosition::Outcome::walked) {
            ++piece_->counts.pruned;
            return;
        }
        if (depth == split_depth_) {
            auto task = std::make_unique<Piece>();
            task->task = path;
            pieces_->push_back(std::move(task));
            pieces_->push_back(std::make_unique<Piece>());
            piece_ = pieces_->back().get();
            return;
        }
        std::string name_z(name);
        enter(platform::UniqueFd(open_directory_at(parent_fd, name_z.c_str())), path, depth);
    }

    // Walks an opened directory after checking its filesystem and the skip list.
    void enter(platform::UniqueFd fd, std::string& path, int depth) {
        if (!fd) {
            problem(path, errno, "open directory");
            return;
        }
        struct stat info {};
        if (::fstat(fd.get(), &info) != 0) {
            problem(path, errno, "stat directory");
            return;
        }
        switch (scope_.after_opening(info)) {
        case WalkPosition::Outcome::walked:
            break;
        case WalkPosition::Outcome::other_filesystem:
            ++piece_->counts.other_filesystems;
            return;
        default:
            ++piece_->counts.pruned;
            return;
        }
        std::uint32_t index = piece_->tree.add_directory(path);
        ++piece_->counts.directories;
        walk(std::move(fd), path, index, depth);
    }

private:
    struct Child {
        std::uint32_t offset; // into the names buffer
        std::uint16_t length;
        EntryType type;
    };

    void problem(const std::string& path, int error, const char* what) {
        piece_->problems.push_back({path, error, what});
    }

    static std::string join(const std::string& directory, std::string_view name) {
        return directory == "/" ? "/" + std::string(name) : directory + "/" + std::string(name);
    }

    const WalkScope& scope_;
    Piece* piece_;
    std::vector<std::unique_ptr<Piece>>* pieces_;
    int split_depth_;
};

// Opens a subtree task's directory one component at a time from the root, never following a
// symlink (a component swapped for one since the first phase fails with ELOOP or ENOTDIR).
platform::UniqueFd open_below(int root_fd, const std::string& path) {
    platform::UniqueFd current;
    std::size_t start = 1;
    while (start < path.size()) {
        std::size_t end = path.find('/', start);
        if (end == std::string::npos) {
            end = path.size();
        }
        std::string component = path.substr(start, end - start);
        int parent = current ? current.get() : root_fd;
        platform::UniqueFd next(open_directory_at(parent, component.c_str()));
        if (!next) {
            return next;
        }
        current = std::move(next);
        start = end + 1;
    }
    return current;
}

} // namespace

WalkResult FilesystemWalk::run(const WalkOptions& options) {
    WalkScope scope{options, {}, {}};
    std::string root = options.root.string();
    platform::UniqueFd root_fd = open_root(options);
    WalkResult result;
    resolve_scope(scope, root_fd.get(), result.problems);

    unsigned threads = options.threads;
    if (threads == 0) {
        threads = std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
    }
    // First phase: the root and its children, handing out the directories below those.
    std::vector<std::unique_ptr<Piece>> pieces;
    pieces.push_back(std::make_unique<Piece>());
    {
        Walker walker(scope, pieces.back().get(), &pieces, threads > 1 ? 2 : 0);
        std::string path = "/";
        platform::UniqueFd fd(::dup(root_fd.get()));
        if (!fd) {
            platform::throw_errno("dup root directory " + root);
        }
        walker.enter(std::move(fd), path, 0);
    }

    // Second phase: the subtrees, shared out among the threads in order.
    std::atomic<std::size_t> next{0};
    auto work = [&]() {
        for (std::size_t i = next++; i < pieces.size(); i = next++) {
            Piece& piece = *pieces[i];
            if (piece.task.empty()) {
                continue;
            }
            Walker walker(scope, &piece, nullptr, 0);
            std::string path = piece.task;
            walker.enter(open_below(root_fd.get(), path), path, 2);
        }
    };
    std::vector<std::thread> workers;
    std::exception_ptr failure;
    std::mutex failure_mutex;
    for (unsigned i = 1; i < threads; ++i) {
        workers.emplace_back([&]() {
            try {
                work();
            } catch (...) {
                std::lock_guard lock(failure_mutex);
                failure = std::current_exception();
            }
        });
    }
    try {
        work();
    } catch (...) {
        std::lock_guard lock(failure_mutex);
        failure = std::current_exception();
    }
    for (std::thread& worker : workers) {
        worker.join();
    }
    if (failure) {
        std::rethrow_exception(failure);
    }

    // Join the pieces in order: their chunks move, nothing is copied.
    for (std::unique_ptr<Piece>& piece : pieces) {
        result.tree.append(std::move(piece->tree));
        result.problems.insert(result.problems.end(), piece->problems.begin(),
                               piece->problems.end());
        result.directories += piece->counts.directories;
        result.pruned += piece->counts.pruned;
        result.other_filesystems += piece->counts.other_filesystems;
        piece.reset();
    }
    return result;
}

WalkPosition FilesystemWalk::locate(const WalkOptions& options, std::string_view path) {
    using Outcome = WalkPosition::Outcome;
    WalkScope scope{options, {}, {}};
    platform::UniqueFd current = open_root(options);
    std::vector<WalkProblem> ignored; // run() reports those
    resolve_scope(scope, current.get(), ignored);
    WalkPosition position;
    auto stop = [&position, path](Outcome outcome, std::string_view at, int error = 0) {
        position.outcome = outcome;
        position.at = at;
        position.error = error;
        if (outcome != Outcome::walked && at != path) {
            position.type = EntryType::unknown; // it was not reached: what it is is unknown
        }
        return position;
    };
    struct stat info {};
    if (::fstat(current.get(), &info) != 0) {
        platform::throw_errno("stat root directory " + options.root.string());
    }
    if (Outcome outcome = scope.after_opening(info); outcome != Outcome::walked) {
        return stop(outcome, "/");
    }
    position.type = EntryType::directory;
    if (path == "/") {
        return stop(Outcome::walked, "");
    }
    // One component at a time, from the root's descriptor, as the walk goes: nothing is
    // resolved by path, no symlink is followed, so nothing outside the root is ever touched.
    std::string prefix;
    std::size_t begin = 1;
    while (true) {
        std::size_t end = path.find('/', begin);
        bool last = end == std::string_view::npos;
        std::string name(path.substr(begin, last ? std::string_view::npos : end - begin));
        std::string parent = prefix.empty() ? "/" : prefix;
        prefix += '/';
        prefix += name;
        if (::fstatat(current.get(), name.c_str(), &info, AT_SYMLINK_NOFOLLOW) != 0) {
            int error = errno;
            if (error == ENOENT || error == ENOTDIR) {
                return stop(Outcome::missing, prefix);
            }
            return stop(Outcome::unreadable, parent, error); // the walk could not list it
        }
        position.type = type_from_mode(info.st_mode);
        if (position.type != EntryType::directory) {
            if (!last) {
                return stop(position.type == EntryType::symlink ? Outcome::below_symlink
                                                                : Outcome::missing,
                            prefix);
            }
            return stop(Outcome::walked, "");
        }
        if (Outcome outcome = scope.before_opening(prefix); outcome != Outcome::walked) {
            return stop(outcome, prefix);
        }
        platform::UniqueFd next(open_directory_at(current.get(), name.c_str()));
        if (!next) {
            return stop(Outcome::unreadable, prefix, errno);
        }
        if (::fstat(next.get(), &info) != 0) {
            return stop(Outcome::unreadable, prefix, errno);
        }
        if (Outcome outcome = scope.after_opening(info); outcome != Outcome::walked) {
            return stop(outcome, prefix);
        }
        if (last) {
            return stop(Outcome::walked, "");
        }
        current = std::move(next);
        begin = end + 1;
    }
}

std::string_view to_string(WalkPosition::Outcome outcome) {
    using Outcome = WalkPosition::Outcome;
    switch (outcome) {
    case Outcome::walked:
        return "walked";
    case Outcome::missing:
        return "missing";
    case Outcome::kernel_tree:
        return "kernel tree";
    case Outcome::pruned:
        return "pruned";
    case Outcome::other_filesystem:
        return "other filesystem";
    case Outcome::skipped:
        return "skipped";
    case Outcome::below_symlink:
        return "below a symlink";
    case Outcome::unreadable:
        return "unreadable";
    }
    return "unknown";
}

} // namespace offstage::manifests
