#include "manifests/filesystem_walk.hpp"
#include "platform/unique_fd.hpp"
#include "tests/support/as_nobody.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <gtest/gtest.h>
#include <map>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace offstage::manifests {
namespace {

std::map<std::string, std::string> entries_of(const WalkResult& result) {
    std::map<std::string, std::string> entries;
    for (std::size_t i = 0; i < result.tree.size(); ++i) {
        entries[result.tree.path(i)] = std::string(to_string(result.tree.type(i)));
    }
    return entries;
}

std::vector<std::string> paths_in_walk_order(const WalkResult& result) {
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < result.tree.size(); ++i) {
        paths.push_back(result.tree.path(i));
    }
    return paths;
}

TEST(FilesystemWalk, FindsEveryNonDirectoryWithItsTypeNeverFollowingSymlinks) {
    test::TempDir root;
    test::write_file(root / "etc/hostname", "h\n");
    test::write_file(root / "home/u/my file", "x");
    test::write_file(root / "home/u/r\xe9sum\xe9", "x");
    test::write_file(root / "outside/secret", "x");
    std::filesystem::create_directories(root / "empty");
    std::filesystem::create_directory_symlink(root / "outside", root / "home/u/link-to-dir");
    std::filesystem::create_symlink("/nonexistent", root / "home/u/dangling");
    ASSERT_EQ(::mkfifo((root / "home/u/fifo").c_str(), 0644), 0);
    // A socket bound in the tree (the path must be short: use a relative name).
    platform::UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string socket_path = (root / "sock").string();
    ASSERT_LT(socket_path.size(), sizeof address.sun_path);
    std::strcpy(address.sun_path, socket_path.c_str());
    ASSERT_EQ(::bind(sock.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);

    WalkOptions options;
    options.root = root.path();
    WalkResult result = FilesystemWalk::run(options);
    std::map<std::string, std::string> expected = {
        {"/etc/hostname", "file"},        {"/home/u/my file", "file"},
        {"/home/u/r\xe9sum\xe9", "file"}, {"/home/u/link-to-dir", "symlink"},
        {"/home/u/dangling", "symlink"},  {"/home/u/fifo", "fifo"},
        {"/outside/secret", "file"},      {"/sock", "socket"},
    };
    EXPECT_EQ(entries_of(result), expected);
    EXPECT_TRUE(result.problems.empty());
    EXPECT_EQ(result.directories, 6u); // /, etc, home, home/u, outside, empty
}

TEST(FilesystemWalk, ReportsPathsInByteOrder) {
    test::TempDir root;
    // '-' (0x2d) < '.' (0x2e) < '/' (0x2f): a directory's subtree sits between them and "a0".
    for (const char* file : {"a/x", "a-b", "a.c", "a0", "b", "A", "\xc3\xa9", "a/y/z"}) {
        test::write_file(root / file, "");
    }
    WalkOptions options;
    options.root = root.path();
    std::vector<std::string> paths = paths_in_walk_order(FilesystemWalk::run(options));
    std::vector<std::string> sorted = paths;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(paths, sorted);
    EXPECT_EQ(paths, (std::vector<std::string>{"/A", "/a-b", "/a.c", "/a/x", "/a/y/z", "/a0", "/b",
                                               "/\xc3\xa9"}));
}

TEST(FilesystemWalk, NeverEntersProcSysOrDevEvenUnderAnotherRoot) {
    test::TempDir root;
    test::write_file(root / "proc/1/status", "");
    test::write_file(root / "sys/kernel/x", "");
    test::write_file(root / "dev/null-ish", "");
    test::write_file(root / "srv/proc/kept", ""); // only the top-level ones are special
    WalkOptions options;
    options.root = root.path();
    WalkResult result = FilesystemWalk::run(options);
    EXPECT_EQ(paths_in_walk_order(result), std::vector<std::string>{"/srv/proc/kept"});
    EXPECT_EQ(result.pruned, 3u);
}

TEST(FilesystemWalk, PrunesDirectoriesBeforeDescendingAndSkipsTheStagingRoot) {
    test::TempDir root;
    test::write_file(root / "var/cache/apt/pkgcache.bin", "");
    test::write_file(root / "var/lib/app/state", "");
    test::write_file(root / "srv/offstage/2026-11-22/files.tar.zst.age", "");
    std::vector<std::string> asked;
    WalkOptions options;
    options.root = root.path();
    options.skip_directories = {root / "srv/offstage"};
    options.prune = [&asked](std::string_view directory) {
        asked.emplace_back(directory);
        return directory == "/var/cache";
    };
    WalkResult result = FilesystemWalk::run(options);
    EXPECT_EQ(paths_in_walk_order(result), std::vector<std::string>{"/var/lib/app/state"});
    // Never asked about anything below the pruned directory: it was not entered.
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "/var/cache/apt"), 0);
    EXPECT_EQ(std::count(asked.begin(), asked.end(), "/var/cache"), 1);
}

TEST(FilesystemWalk, ReportsUnreadableDirectoriesWithErrnoAndGoesOn) {
    test::TempDir root;
    test::write_file(root / "locked/inside", "");
    test::write_file(root / "open/file", "");
    std::filesystem::permissions(root / "locked", std::filesystem::perms::none);
    auto walk = [&] {
        WalkOptions options;
        options.root = root.path();
        WalkResult result = FilesystemWalk::run(options);
        bool as_expected = paths_in_walk_order(result) == std::vector<std::string>{"/open/file"} &&
                           result.problems.size() == 1 && result.problems[0].path == "/locked" &&
                           result.problems[0].error == EACCES;
        if (!as_expected) {
            for (const WalkProblem& problem : result.problems) {
                std::fprintf(stderr, "problem: %s: %s\n", problem.path.c_str(),
                             std::strerror(problem.error));
            }
        }
        return as_expected ? 0 : 1;
    };
    int status = 0;
    if (::geteuid() == 0) {
        // Root enters every directory: the walk runs as nobody, who must reach the root.
        std::filesystem::permissions(root.path(), std::filesystem::perms::owner_all |
                                                      std::filesystem::perms::group_read |
                                                      std::filesystem::perms::group_exec |
                                                      std::filesystem::perms::others_read |
                                                      std::filesystem::perms::others_exec);
        status = test::run_as_nobody(walk);
    } else {
        status = walk();
    }
    std::filesystem::permissions(root / "locked", std::filesystem::perms::owner_all);
    EXPECT_EQ(status, 0)
        << "1: not reported as expected (see stderr); 3: could not drop root; 4: threw";
}

TEST(FilesystemWalk, StaysOnTheRootFilesystem) {
    // /proc is another filesystem: walking "/" must not descend into any other mount, and a
    // root that contains a mount point (here the real root's /dev/shm or /run, if mounted)
    // counts it. On this machine "/" always has /proc and /sys as mounts, which the kernel-tree
    // rule already skips; check instead that the walk of a tmpfs-backed dir does not leave it.
    struct stat root_info {};
    struct stat shm_info {};
    if (::stat("/", &root_info) != 0 || ::stat("/dev/shm", &shm_info) != 0 ||
        root_info.st_dev == shm_info.st_dev) {
        GTEST_SKIP() << "no separate /dev/shm mount to test with";
    }
    WalkOptions options;
    options.root = "/dev"; // /dev is devtmpfs; /dev/shm below it is another mount
    options.prune = [](std::string_view) { return false; };
    WalkResult result = FilesystemWalk::run(options);
    for (std::size_t i = 0; i < result.tree.size(); ++i) {
        ASSERT_NE(result.tree.path(i).rfind("/shm/", 0), 0u) << result.tree.path(i);
    }
    EXPECT_GE(result.other_filesystems, 1u);
}

// A tmpfs mounted for the length of a test, detached again even when the test fails.
class ScopedTmpfs {
public:
    explicit ScopedTmpfs(const std::filesystem::path& where)
        : where_(where) {
        if (::mount("offstage-test", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=1m") !=
            0) {
            error_ = errno;
        }
    }
    ~ScopedTmpfs() {
        if (error_ == 0) {
            ::umount2(where_.c_str(), MNT_DETACH);
        }
    }
    ScopedTmpfs(const ScopedTmpfs&) = delete;
    ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;
    int error() const { return error_; }

private:
    std::filesystem::path where_;
    int error_ = 0;
};

// [scan] filesystems: the walk enters the mounts it names and no other, on real mounts.
TEST(FilesystemWalk, WalksTheConfiguredFilesystemsAndNoOther) {
    test::TempDir root;
    std::filesystem::create_directories(root / "home");
    std::filesystem::create_directories(root / "srv");
    ScopedTmpfs home(root / "home");
    if (home.error() != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(home.error());
    }
    ScopedTmpfs srv(root / "srv");
    ASSERT_EQ(srv.error(), 0) << std::strerror(srv.error());
    test::write_file(root / "top", "");
    test::write_file(root / "home/alice/notes", "");
    test::write_file(root / "srv/data/db", "");

    WalkOptions options;
    options.root = root.path();
    options.filesystems = {"/home"};
    options.prune = [](std::string_view) { return false; };
    WalkResult result = FilesystemWalk::run(options);
    std::vector<std::string> paths;
    for (std::size_t i = 0; i < result.tree.size(); ++i) {
        paths.emplace_back(result.tree.path(i));
    }
    EXPECT_EQ(paths, (std::vector<std::string>{"/home/alice/notes", "/top"}));
    EXPECT_EQ(result.other_filesystems, 1u) << "/srv, seen and not entered";
    EXPECT_TRUE(result.problems.empty());
}

} // namespace
} // namespace offstage::manifests

namespace offstage::manifests {
namespace {

TEST(FilesystemWalk, AParallelWalkGivesExactlyTheSequentialResult) {
    test::TempDir root;
    // Files at every depth around the split (subtrees two levels down go to worker threads),
    // names that sort around '/', an excluded subtree and an empty one.
    for (const char* file :
         {"top", "a/f", "a/b/f", "a/b/c/d/f", "a/b-x", "a/b.y", "a/b/z", "a/c/1", "a/c/2/3",
          "b/x/y", "b/x-y/z", "c/cache/x/big", "c/keep/x", "d/e/f/g/h/i"}) {
        test::write_file(root / file, "");
    }
    std::filesystem::create_directories(root / "e/empty/below");
    std::filesystem::create_symlink("a", root / "a-link");
    auto walk = [&root](unsigned threads) {
        WalkOptions options;
        options.root = root.path();
        options.threads = threads;
        options.prune = [](std::string_view directory) { return directory == "/c/cache"; };
        return FilesystemWalk::run(options);
    };
    WalkResult sequential = walk(1);
    std::vector<std::string> expected = paths_in_walk_order(sequential);
    std::vector<std::string> sorted = expected;
    std::sort(sorted.begin(), sorted.end());
    EXPECT_EQ(expected, sorted);
    EXPECT_EQ(expected.size(), 14u); // 13 files (one pruned away) and the symlink
    for (unsigned threads : {2u, 3u, 8u}) {
        WalkResult parallel = walk(threads);
        EXPECT_EQ(paths_in_walk_order(parallel), expected) << threads << " threads";
        EXPECT_EQ(entries_of(parallel), entries_of(sequential));
        EXPECT_EQ(parallel.directories, sequential.directories);
        EXPECT_EQ(parallel.pruned, sequential.pruned);
    }
}

} // namespace
} // namespace offstage::manifests
