// BeneathRoot on real trees: it reaches the directory that holds a path through real
// directories only, says which component stopped it, and keeps few descriptors however deep
// the tree.
#include "stager/archive/beneath_root.hpp"
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

// Whether `fd` is the directory at `path`.
bool is_directory_at(int fd, const fs::path& path) {
    struct stat by_fd {};
    struct stat by_path {};
    return ::fstat(fd, &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 &&
           by_fd.st_dev == by_path.st_dev && by_fd.st_ino == by_path.st_ino;
}

std::size_t open_descriptors() {
    return static_cast<std::size_t>(
        std::distance(fs::directory_iterator("/proc/self/fd"), fs::directory_iterator()));
}

TEST(BeneathRoot, FindsTheDirectoryHoldingEachPath) {
    TempDir temp("offstage-beneath");
    fs::create_directories(temp / "a" / "b");
    fs::create_directories(temp / "c");
    BeneathRoot walk;
    for (const fs::path& path : {temp / "a" / "b" / "file", temp / "a" / "b" / "other",
                                 temp / "c" / "x", temp / "a" / "y", temp / "a" / "b" / "z"}) {
        SCOPED_TRACE(path);
        BeneathRoot::Location where = walk.locate(path.string());
        ASSERT_EQ(where.problem, "");
        EXPECT_TRUE(is_directory_at(where.directory, path.parent_path()));
        EXPECT_STREQ(where.name, path.filename().c_str());
    }
    BeneathRoot::Location messy = walk.locate((temp / "a" / "." / "b//" / "file").string());
    ASSERT_EQ(messy.problem, "");
    EXPECT_TRUE(is_directory_at(messy.directory, temp / "a" / "b"));
    EXPECT_STREQ(messy.name, "file");

    BeneathRoot::Location root = walk.locate("/");
    ASSERT_EQ(root.problem, "");
    EXPECT_TRUE(is_directory_at(root.directory, "/"));
    EXPECT_STREQ(root.name, ".");
}

TEST(BeneathRoot, SaysWhichComponentIsASymlinkOrGoneAndNeverFollowsIt) {
    TempDir temp("offstage-beneath");
    fs::create_directories(temp / "real" / "sub");
    fs::create_symlink(temp / "real", temp / "link");
    const std::size_t depth = std::distance(temp.path().begin(), temp.path().end()) - 1;
    BeneathRoot walk;

    BeneathRoot::Location through_link = walk.locate((temp / "link" / "sub" / "f").string());
    EXPECT_EQ(through_link.problem, "not archived: component " + std::to_string(depth + 1) +
                                        " of its path is a symlink, and no symlink on the way "
                                        "to an entry is followed (was a directory swapped for "
                                        "it?)");
    // The last component may be a symlink: the entry is the link itself.
    BeneathRoot::Location the_link = walk.locate((temp / "link").string());
    ASSERT_EQ(the_link.problem, "");
    EXPECT_STREQ(the_link.name, "link");

    BeneathRoot::Location gone = walk.locate((temp / "real" / "missing" / "f").string());
    EXPECT_EQ(gone.problem, "vanished before it was read: component " + std::to_string(depth + 2) +
                                " of its path is gone");

    test::write_file(temp / "real" / "file", "");
    BeneathRoot::Location not_a_directory = walk.locate((temp / "real" / "file" / "f").string());
    EXPECT_NE(not_a_directory.problem.find("is not a directory"), std::string::npos)
        << not_a_directory.problem;
}

TEST(BeneathRoot, ADirectorySwappedForASymlinkIsSeenOnTheNextWalkThroughIt) {
    TempDir temp("offstage-beneath");
    fs::create_directories(temp / "d");
    fs::create_directories(temp / "e");
    fs::create_directories(temp / "elsewhere");
    BeneathRoot walk;
    ASSERT_EQ(walk.locate((temp / "d" / "x").string()).problem, "");
    ASSERT_EQ(walk.locate((temp / "e" / "y").string()).problem, "");
    fs::rename(temp / "d", temp / "d.old");
    fs::create_symlink(temp / "elsewhere", temp / "d");
    EXPECT_NE(walk.locate((temp / "d" / "x").string()).problem.find("is a symlink"),
              std::string::npos);
}

TEST(BeneathRoot, RelativePathsStartAtTheWorkingDirectory) {
    TempDir temp("offstage-beneath");
    fs::create_directories(temp / "rel" / "dir");
    platform::UniqueFd saved(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(saved);
    ASSERT_EQ(::chdir(temp.path().c_str()), 0);
    BeneathRoot walk;
    BeneathRoot::Location where = walk.locate("rel/dir/f");
    BeneathRoot::Location absolute = walk.locate((temp / "rel" / "dir" / "g").string());
    BeneathRoot::Location again = walk.locate("./rel/f");
    ASSERT_EQ(::fchdir(saved.get()), 0);
    ASSERT_EQ(where.problem, "");
    ASSERT_EQ(absolute.problem, "");
    ASSERT_EQ(again.problem, "");
    EXPECT_STREQ(again.name, "f");
}

// A tree far deeper than the descriptors a process may hold at once (often 1024) still walks:
// below a fixed depth only the last parent keeps its descriptor.
TEST(BeneathRoot, ADeepTreeKeepsFewDescriptors) {
    TempDir temp("offstage-beneath");
    fs::path deep = temp.path();
    std::vector<fs::path> levels;
    for (int i = 0; i < 300; ++i) {
        deep /= "d";
        levels.push_back(deep);
    }
    // Relative creation keeps each mkdir's path short.
    platform::UniqueFd at(::open(temp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    for (int i = 0; i < 300; ++i) {
        ASSERT_EQ(::mkdirat(at.get(), "d", 0755), 0);
        at.reset(::openat(at.get(), "d", O_PATH | O_DIRECTORY | O_CLOEXEC));
        ASSERT_TRUE(at);
    }
    at.reset();
    const std::size_t before = open_descriptors();
    BeneathRoot walk;
    for (std::size_t level : {299u, 299u, 150u, 10u, 200u, 299u}) {
        SCOPED_TRACE(level);
        BeneathRoot::Location where = walk.locate((levels[level] / "f").string());
        ASSERT_EQ(where.problem, "");
        struct stat st {};
        ASSERT_EQ(::fstat(where.directory, &st), 0);
        struct stat expected {};
        platform::UniqueFd direct(::open(temp.path().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        for (std::size_t i = 0; i <= level; ++i) {
            direct.reset(::openat(direct.get(), "d", O_PATH | O_DIRECTORY | O_CLOEXEC));
        }
        ASSERT_EQ(::fstat(direct.get(), &expected), 0);
        EXPECT_EQ(st.st_ino, expected.st_ino);
        EXPECT_LT(open_descriptors(), before + 100) << "one descriptor per level kept";
    }
}

} // namespace
} // namespace offstage::archive
