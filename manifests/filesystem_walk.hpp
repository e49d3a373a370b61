// One walk of a root filesystem, like `find ROOT -xdev` but with the fewest syscalls: entry
// types come from the directory entries, each directory is opened relative to its parent
// (O_DIRECTORY|O_NOFOLLOW) and never through a symlink. It never enters ROOT/proc, ROOT/sys or
// ROOT/dev, stays on the root's filesystem plus the listed ones, skips what the caller prunes,
// and reports unreadable directories instead of stopping. Subtrees are walked in parallel; the
// result is in byte order of full paths whatever the number of threads.
#pragma once

#include "manifests/walked_tree.hpp"

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::manifests {

struct WalkProblem {
    std::string path; // as seen from the root ("/var/lib/x")
    int error;        // errno
    std::string what; // the call that failed, e.g. "open directory"
};

struct WalkOptions {
    std::filesystem::path root = "/";
    // Mount points (paths inside the root, e.g. "/home") whose filesystems are walked too.
    std::vector<std::string> filesystems;
    // Host paths of directories never to enter (the staging root), matched by device and inode.
    std::vector<std::filesystem::path> skip_directories;
    // Called with each directory's path (as seen from the root) before descending; true prunes
    // the directory and all below it. Called from several threads at once when threads > 1.
    std::function<bool(std::string_view)> prune;
    // Threads that walk subtrees in parallel (the directories two levels below the root are
    // shared out); 0 means one per core, at most 4. The result is the same for any number.
    unsigned threads = 0;
};

struct WalkResult {
    WalkedTree tree; // every non-directory entry, in byte order of full paths
    std::vector<WalkProblem> problems;
    std::size_t directories = 0;       // entered
    std::size_t pruned = 0;            // skipped by the prune callback
    std::size_t other_filesystems = 0; // mount points not walked
};

// Where one path stands with the walk, decided by the walk's own rules (the same checks in the
// same order, on descriptors opened the same way, from the root down): what `offstage policy
// explain` reports, so that it agrees with the scan.
struct WalkPosition {
    enum class Outcome {
        walked,           // the walk lists it (a directory: the walk enters it)
        missing,          // no such entry below the root
        kernel_tree,      // `at` is ROOT/proc, /sys or /dev: never entered
        pruned,           // the prune callback skips the directory `at`
        other_filesystem, // the directory `at` is on a filesystem the walk does not enter
        skipped,          // the directory `at` is a skipped directory (the staging root)
        below_symlink,    // `at` is a symlink: the walk never follows one
        unreadable,       // the walk cannot read the directory `at` (`error`): a problem
    };
    Outcome outcome = Outcome::missing;
    std::string at;                      // the path that decides an outcome other than walked
    int error = 0;                       // for unreadable
    EntryType type = EntryType::unknown; // of the path itself: walked, or `at` is the path
};

// "walked" | "missing" | "kernel tree" | "pruned" | ...
std::string_view to_string(WalkPosition::Outcome outcome);

class FilesystemWalk {
public:
    // Throws std::system_error when the root itself cannot be opened.
    static WalkResult run(const WalkOptions& options);
    // `path`: absolute, normalised (no "." or ".." or empty component), as seen from the root.
    // Never touches anything outside the root. Throws like run().
    static WalkPosition locate(const WalkOptions& options, std::string_view path);
};

} // namespace offstage::manifests
