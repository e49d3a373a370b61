#include "stager/staging/run_lock.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace std::chrono_literals;
using offstage::staging::current_boot_id;
using offstage::staging::RunLock;
using offstage::test::read_file;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

// A child that takes the lock and stops: the lock stays held until the child is killed.
pid_t hold_in_child(const std::filesystem::path& path) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::close(ready[0]);
        auto taken = RunLock::acquire(path, 0ms);
        char byte = taken ? 'y' : 'n';
        [[maybe_unused]] auto written = ::write(ready[1], &byte, 1);
        ::pause();
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    EXPECT_EQ(::read(ready[0], &byte, 1), 1);
    ::close(ready[0]);
    EXPECT_EQ(byte, 'y');
    return child;
}

void kill_and_reap(pid_t child) {
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
}

} // namespace

TEST(RunLock, CreatesItsFileAndDirectoryAndNamesItsHolder) {
    TempDir dir;
    auto path = dir / "run/offstage/run.lock";
    {
        auto taken = RunLock::acquire(path, 0ms);
        ASSERT_TRUE(taken);
        EXPECT_FALSE(taken->stale);
        std::string lines = read_file(path);
        EXPECT_NE(lines.find("pid=" + std::to_string(::getpid()) + "\n"), std::string::npos);
        EXPECT_NE(lines.find("boot_id=" + current_boot_id() + "\n"), std::string::npos);
        EXPECT_NE(lines.find("started=20"), std::string::npos);
    }
    // Released cleanly: no holder lines left, so the next run reports no takeover.
    EXPECT_EQ(read_file(path), "");
    auto again = RunLock::acquire(path, 0ms);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->stale);
}

TEST(RunLock, ALiveHolderMakesASecondRunWaitItsBudgetThenGiveUp) {
    TempDir dir;
    auto path = dir / "run.lock";
    pid_t holder = hold_in_child(path);
    auto live = RunLock::live_holder(path);
    ASSERT_TRUE(live);
    EXPECT_EQ(live->pid, holder);
    auto start = std::chrono::steady_clock::now();
    auto taken = RunLock::acquire(path, 600ms);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_FALSE(taken);
    EXPECT_GE(waited, 600ms);
    EXPECT_LT(waited, 5s);
    kill_and_reap(holder);
}

TEST(RunLock, AWaitingRunGetsTheLockWhenTheHolderEnds) {
    TempDir dir;
    auto path = dir / "run.lock";
    pid_t holder = hold_in_child(path);
    std::thread ender([holder] {
        std::this_thread::sleep_for(300ms);
        kill_and_reap(holder);
    });
    auto taken = RunLock::acquire(path, 10s);
    ender.join();
    ASSERT_TRUE(taken);
    // The holder was killed: its lines are still there, so this is a takeover.
    ASSERT_TRUE(taken->stale);
    EXPECT_EQ(taken->stale->pid, holder);
}

TEST(RunLock, AStaleLockOfACrashedRunIsTakenOverAndReported) {
    TempDir dir;
    auto path = dir / "run.lock";
    pid_t holder = hold_in_child(path);
    kill_and_reap(holder); // kill -9: no chance to clear the lines
    EXPECT_FALSE(RunLock::live_holder(path));
    auto taken = RunLock::acquire(path, 0ms);
    ASSERT_TRUE(taken);
    ASSERT_TRUE(taken->stale);
    EXPECT_EQ(taken->stale->pid, holder);
    EXPECT_EQ(taken->stale->boot_id, current_boot_id());
    EXPECT_NE(taken->stale->describe().find("of this boot"), std::string::npos);
}

TEST(RunLock, ALockFromAnEarlierBootIsSaidToBeSo) {
    TempDir dir;
    auto path = dir / "run.lock";
    write_file(
        path,
        "pid=4242\nboot_id=00000000-dead-beef-0000-000000000000\nstarted=2026-11-01T03:00:00Z\n",
        std::filesystem::perms(0600));
    auto taken = RunLock::acquire(path, 0ms);
    ASSERT_TRUE(taken);
    ASSERT_TRUE(taken->stale);
    EXPECT_EQ(taken->stale->pid, 4242);
    EXPECT_NE(taken->stale->describe().find("of an earlier boot"), std::string::npos);
}

TEST(RunLock, ASymlinkOrADirectoryAtTheLockPathIsRefused) {
    TempDir dir;
    write_file(dir / "target", "", std::filesystem::perms(0600));
    std::filesystem::create_symlink(dir / "target", dir / "link.lock");
    EXPECT_THROW(RunLock::acquire(dir / "link.lock", 0ms), std::system_error);
    std::filesystem::create_directory(dir / "dir.lock");
    EXPECT_THROW(RunLock::acquire(dir / "dir.lock", 0ms), std::system_error);
}
