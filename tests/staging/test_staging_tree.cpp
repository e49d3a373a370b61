#include "platform/staging_layout.hpp"
#include "stager/staging/day_file.hpp"
#include "stager/staging/staging_tree.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using offstage::staging::PullAccess;
using offstage::staging::StagingError;
using offstage::staging::StagingTree;
using offstage::staging::WorkDir;
using offstage::test::read_file;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

struct Roots {
    TempDir dir;
    fs::path served = dir / "srv/offstage";
    fs::path work = dir / "srv/offstage.work";
    Roots() {
        fs::create_directories(served);
        fs::permissions(served, fs::perms(0750));
    }
};

// A complete day in a work dir: an artifact and the signature file that marks completeness.
void fill(const WorkDir& work, const std::string& content) {
    write_file(work.path() / "files.tar.zst.age", content, fs::perms(0600));
    write_file(work.path() / "db/mariadb/sales.sql.zst.age", content + " db", fs::perms(0600));
    write_file(work.path() / "SHA256SUMS", "sums", fs::perms(0600));
    write_file(work.path() / "SHA256SUMS.minisig", "sig", fs::perms(0600));
}

void publish_day(const StagingTree& tree, const std::string& day, const std::string& content) {
    WorkDir work = tree.begin(day);
    fill(work, content);
    tree.publish(work, PullAccess{::getegid()});
}

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    EXPECT_EQ(::lstat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

} // namespace

TEST(StagingTree, AWorkDirIsHiddenInTheWorkRootClosedAndRemovedUnlessPublished) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    EXPECT_EQ(mode_of(roots.work), 0700u);
    fs::path path;
    {
        WorkDir work = tree.begin("2026-11-22");
        path = work.path();
        EXPECT_EQ(path.parent_path(), roots.work);
        EXPECT_TRUE(path.filename().string().starts_with(".incoming-2026-11-22-"));
        EXPECT_EQ(mode_of(path), 0700u);
        fill(work, "x");
    }
    EXPECT_FALSE(fs::exists(path));
    EXPECT_TRUE(names_in(roots.served).empty());
    EXPECT_THROW(tree.begin("2026-02-30"), StagingError);
}

TEST(StagingTree, PublishIsOneRenameWithThePullUsersAccess) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    publish_day(tree, "2026-11-22", "day one");
    EXPECT_EQ(names_in(roots.served), std::vector<std::string>{"2026-11-22"});
    EXPECT_TRUE(names_in(roots.work).empty());
    fs::path day = roots.served / "2026-11-22";
    EXPECT_EQ(read_file(day / "files.tar.zst.age"), "day one");
    EXPECT_EQ(mode_of(day), 0750u);
    EXPECT_EQ(mode_of(day / "db"), 0750u);
    EXPECT_EQ(mode_of(day / "files.tar.zst.age"), 0640u);
    EXPECT_EQ(mode_of(day / "db/mariadb/sales.sql.zst.age"), 0640u);
    EXPECT_EQ(tree.complete_days(), std::vector<std::string>{"2026-11-22"});
}

TEST(StagingTree, AnUnsignedOrOddWorkDirIsNotPublished) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    {
        WorkDir work = tree.begin("2026-11-22");
        write_file(work.path() / "files.tar.zst.age", "x");
        EXPECT_THROW(tree.publish(work, PullAccess{::getegid()}), StagingError);
    }
    {
        WorkDir work = tree.begin("2026-11-22");
        fill(work, "x");
        fs::create_symlink("/etc/shadow", work.path() / "link");
        EXPECT_THROW(tree.publish(work, PullAccess{::getegid()}), StagingError);
    }
    EXPECT_TRUE(names_in(roots.served).empty());
}

TEST(StagingTree, ASecondRunOnTheSameDayReplacesTheTreeWhole) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    publish_day(tree, "2026-11-22", "first");
    fs::path day = roots.served / "2026-11-22";
    // A reader holding the old tree open keeps seeing all of it (complete, never mixed).
    int old_fd = ::open((day / "files.tar.zst.age").c_str(), O_RDONLY);
    ASSERT_GE(old_fd, 0);
    WorkDir work = tree.begin("2026-11-22");
    fill(work, "second");
    auto result = tree.publish(work, PullAccess{::getegid()});
    EXPECT_TRUE(result.replaced_day);
    EXPECT_EQ(read_file(day / "files.tar.zst.age"), "second");
    EXPECT_EQ(read_file(day / "db/mariadb/sales.sql.zst.age"), "second db");
    char buffer[16] = {};
    EXPECT_EQ(::pread(old_fd, buffer, sizeof buffer, 0), 5);
    EXPECT_EQ(std::string(buffer), "first");
    ::close(old_fd);
    EXPECT_TRUE(names_in(roots.work).empty()); // the replaced tree is gone
}

TEST(StagingTree, PruneKeepsTheNewestCompleteTreesAndLeavesOtherNamesAlone) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    for (const char* day : {"2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22"}) {
        publish_day(tree, day, day);
    }
    // Not complete trees: never counted, never pruned.
    fs::create_directory(roots.served / "2026-11-18");
    write_file(roots.served / "README", "admin's note");
    fs::create_directory(roots.served / "keep-me");
    EXPECT_EQ(tree.prune(2), (std::vector<std::string>{"2026-11-19", "2026-11-20"}));
    EXPECT_EQ(
        names_in(roots.served),
        (std::vector<std::string>{"2026-11-18", "2026-11-21", "2026-11-22", "README", "keep-me"}));
    // Never fewer than one: keep = 0 still keeps the newest.
    EXPECT_EQ(tree.prune(0), std::vector<std::string>{"2026-11-21"});
    EXPECT_EQ(tree.complete_days(), std::vector<std::string>{"2026-11-22"});
    EXPECT_TRUE(tree.prune(1).empty());
    EXPECT_TRUE(names_in(roots.work).empty());
}

TEST(StagingTree, LeftoversOfCrashedRunsAreRemoved) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    WorkDir work = tree.begin("2026-11-22");
    fill(work, "half");
    // A crash: the dir stays because no destructor runs; simulate with a copy of its content.
    fs::create_directory(roots.work / ".incoming-2026-11-21-abcdef");
    write_file(roots.work / ".incoming-2026-11-21-abcdef/files.tar.zst.age", "half");
    fs::create_directory(roots.work / ".retired-2026-11-20-abcdef");
    write_file(roots.work / "unrelated", "left alone");
    auto removed = tree.remove_leftovers();
    EXPECT_EQ(removed.size(), 3u);
    EXPECT_EQ(names_in(roots.work), std::vector<std::string>{"unrelated"});
}

TEST(StagingTree, RootsAreCheckedBeforeAnythingIsWritten) {
    TempDir dir;
    // No served root.
    EXPECT_THROW(StagingTree(dir / "missing", dir / "work"), StagingError);
    fs::create_directory(dir / "served");
    // A work root inside the served root would be pullable.
    EXPECT_THROW(StagingTree(dir / "served", dir / "served/.work"), StagingError);
    // A work root open to others.
    fs::create_directory(dir / "open");
    fs::permissions(dir / "open", fs::perms(0755));
    EXPECT_THROW(StagingTree(dir / "served", dir / "open"), StagingError);
    // A symlinked served root is not followed.
    fs::create_directory_symlink(dir / "served", dir / "link");
    EXPECT_THROW(StagingTree(dir / "link", dir / "work"), StagingError);
    EXPECT_NO_THROW(StagingTree(dir / "served", dir / "work"));
}

TEST(StagingTree, RootsOnTwoFilesystemsAreRefused) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    }
    TempDir dir;
    fs::create_directory(dir / "served");
    fs::create_directory(dir / "mnt");
    ASSERT_EQ(::mount("tmpfs", (dir / "mnt").c_str(), "tmpfs", 0, "size=1m,mode=0700"), 0);
    try {
        StagingTree(dir / "served", dir / "mnt");
        ADD_FAILURE() << "two filesystems were accepted";
    } catch (const StagingError& error) {
        EXPECT_NE(std::string(error.what()).find("different filesystems"), std::string::npos);
    }
    ::umount2((dir / "mnt").c_str(), MNT_DETACH);
}

TEST(DayFile, AppearsUnderItsNameOnlyWhenFinishedWithTheDigestOfWhatWasWritten) {
    Roots roots;
    StagingTree tree(roots.served, roots.work);
    WorkDir work = tree.begin("2026-11-22");
    {
        offstage::staging::DayFile file(work, "db/mariadb/sales.sql.zst.age");
        file.write(std::as_bytes(std::span("half", 4)));
        EXPECT_FALSE(fs::exists(work.path() / "db/mariadb/sales.sql.zst.age"));
        // Destroyed unfinished (a failed dump): nothing of it stays.
    }
    EXPECT_TRUE(names_in(work.path() / "db/mariadb").empty());
    offstage::staging::DayFile file(work, "files.tar.zst.age");
    std::string content(200000, 'x');
    file.write(std::as_bytes(std::span(content.data(), content.size())));
    file.finish();
    EXPECT_EQ(file.size(), content.size());
    EXPECT_EQ(read_file(work.path() / "files.tar.zst.age"), content);
    // The SHA-256 of 200000 'x' bytes, from sha256sum.
    write_file(roots.dir / "plain", content);
    auto sums = offstage::staging::format_sha256sums({{"plain", file.sha256()}});
    write_file(roots.dir / "SUMS", sums);
    auto check = offstage::test::run_command(
        {"sha256sum", "--check", "--strict", "--quiet", (roots.dir / "SUMS").string()}, [&] {
            offstage::test::CommandOptions options;
            options.working_directory = roots.dir.path();
            return options;
        }());
    EXPECT_EQ(check.exit_status, 0) << check.out << check.err;
    // Never over an existing file, and only names of the grammar.
    EXPECT_THROW(offstage::staging::write_day_file(work, "files.tar.zst.age", "again"),
                 std::system_error);
    EXPECT_THROW(offstage::staging::DayFile(work, "../escape.age"), StagingError);
    EXPECT_THROW(offstage::staging::DayFile(work, "notes.txt"), StagingError);
}
