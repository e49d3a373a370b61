// The watchdog of a throwaway server (stager/drill/scratch_watchdog.hpp). A starter process, forked
// by the test, starts a real mariadbd or postgres (or a plain process), says which, and is then
// SIGKILLed, as the OOM killer would: no destructor of it runs. The server must end and its
// directory go. A starter that stops normally leaves everything as it was; a process that ignores
// the first signal gets SIGKILL after the grace period. The test process is a child subreaper, so
// the orphans are its children and their wait status tells which signal ended them. Last, the
// servers' pid files, which a restored dump could write, are not trusted after the start: a pid
// written there later is never signalled.
#include "stager/drill/mariadb_server.hpp"
#include "stager/drill/postgresql_server.hpp"
#include "stager/drill/scratch_watchdog.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <functional>
#include <gtest/gtest.h>
#include <iterator>
#include <sstream>
#include <string>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using offstage::drill::ScratchWatchdog;
using offstage::test::command_line;
using offstage::test::has_ended;
using offstage::test::processes_mentioning;

namespace {

// What a starter reports once its server runs.
struct Started {
    pid_t starter = -1;
    pid_t server = -1;
    pid_t watchdog = -1;
    fs::path directory;
};

struct Report {
    pid_t server;
    pid_t watchdog;
    fs::path directory;
};

// Forks a starter that runs `start`, writes what it returned to a pipe and waits to be killed.
// Only the test process has threads of its own before the fork: none (one test per process).
Started fork_starter(const std::function<Report()>& start) {
    int ends[2];
    if (::pipe(ends) != 0) {
        throw std::runtime_error("pipe");
    }
    pid_t child = ::fork();
    if (child < 0) {
        throw std::runtime_error("fork");
    }
    if (child == 0) {
        ::close(ends[0]);
        std::string line;
        try {
            Report report = start();
            line = "ok " + std::to_string(report.server) + " " + std::to_string(report.watchdog) +
                   " " + report.directory.string() + "\n";
        } catch (const std::exception& error) {
            line = std::string("error ") + error.what() + "\n";
        }
        if (::write(ends[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
            ::_exit(1);
        }
        ::close(ends[1]);
        while (true) {
            ::pause();
        }
    }
    ::close(ends[1]);
    std::string text;
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(ends[0], buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
        if (text.find('\n') != std::string::npos) {
            break;
        }
    }
    ::close(ends[0]);
    Started started;
    started.starter = child;
    std::istringstream words(text);
    std::string status;
    words >> status;
    if (status != "ok") {
        ::kill(child, SIGKILL);
        ::waitpid(child, nullptr, 0);
        throw std::runtime_error("the starter failed: " + text);
    }
    std::string directory;
    words >> started.server >> started.watchdog >> directory;
    started.directory = directory;
    return started;
}

// Kills the starter as the OOM killer would and reaps it.
void kill_starter(const Started& started) {
    ::kill(started.starter, SIGKILL);
    ::waitpid(started.starter, nullptr, 0);
}

bool ends_within(pid_t pid, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!has_ended(pid)) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

bool is_gone_within(const fs::path& path, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (fs::exists(fs::symlink_status(path))) {
        if (std::chrono::steady_clock::now() > deadline) {
            return false;
        }
        std::this_thread::sleep_for(20ms);
    }
    return true;
}

// The wait status of an orphan that was reparented to us (we are a subreaper).
int reap_orphan(pid_t pid) {
    int status = 0;
    for (int i = 0; i < 500; ++i) {
        pid_t got = ::waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            return status;
        }
        std::this_thread::sleep_for(20ms);
    }
    throw std::runtime_error("pid " + std::to_string(pid) + " was not reaped");
}

// A plain process started by the starter: /bin/sleep, SIGTERM ignored when asked (an ignored
// disposition survives execve).
pid_t start_sleeper(bool ignore_term) {
    pid_t sleeper = ::fork();
    if (sleeper == 0) {
        if (ignore_term) {
            ::signal(SIGTERM, SIG_IGN);
        }
        ::execl("/bin/sleep", "sleep", "600", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    return sleeper;
}

// After a failed check: what the watchdog should have ended does not outlive the test.
void end_leftovers(const std::vector<pid_t>& processes, const fs::path& directory) {
    for (pid_t pid : processes) {
        if (!has_ended(pid)) {
            ::kill(pid, SIGKILL);
        }
    }
    std::error_code ignored;
    fs::remove_all(directory, ignored);
}

class ScratchWatchdogTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0); }
};

TEST_F(ScratchWatchdogTest, AKilledStartersProcessGetsTheFirstSignalAndTheDirectoryGoes) {
    offstage::test::TempDir temp;
    fs::path scratch = temp.path() / "scratch";
    Started started = fork_starter([&] {
        fs::create_directories(scratch / "data");
        std::ofstream(scratch / "data" / "table") << "rows";
        auto* watchdog = new ScratchWatchdog(scratch); // the starter dies with it, never freed
        pid_t sleeper = start_sleeper(false);
        watchdog->watch(offstage::platform::ProcessHandle(sleeper), SIGTERM, 10s);
        return Report{sleeper, watchdog->pid(), scratch};
    });
    ASSERT_FALSE(has_ended(started.server));
    kill_starter(started);
    int status = reap_orphan(started.server);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGTERM);
    EXPECT_TRUE(is_gone_within(scratch, 10s)) << scratch;
    EXPECT_TRUE(ends_within(started.watchdog, 10s));
}

TEST_F(ScratchWatchdogTest, AProcessThatIgnoresTheFirstSignalIsKilledAfterTheGrace) {
    offstage::test::TempDir temp;
    fs::path scratch = temp.path() / "scratch";
    Started started = fork_starter([&] {
        fs::create_directories(scratch);
        auto* watchdog = new ScratchWatchdog(scratch);
        pid_t sleeper = start_sleeper(true);
        watchdog->watch(offstage::platform::ProcessHandle(sleeper), SIGTERM, 300ms);
        return Report{sleeper, watchdog->pid(), scratch};
    });
    kill_starter(started);
    int status = reap_orphan(started.server);
    ASSERT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_TRUE(is_gone_within(scratch, 10s)) << scratch;
}

TEST_F(ScratchWatchdogTest, AStarterThatStoppedNormallyLeavesEverythingAlone) {
    offstage::test::TempDir temp;
    fs::path scratch = temp.path() / "scratch";
    Started started = fork_starter([&] {
        fs::create_directories(scratch);
        pid_t sleeper = start_sleeper(false);
        pid_t watchdog_pid = -1;
        {
            ScratchWatchdog watchdog(scratch);
            watchdog.watch(offstage::platform::ProcessHandle(sleeper), SIGTERM, 10s);
            watchdog_pid = watchdog.pid();
        } // all done: the watchdog is told so and reaped
        return Report{sleeper, watchdog_pid, scratch};
    });
    EXPECT_TRUE(has_ended(started.watchdog)) << "the watchdog outlived its all-done";
    kill_starter(started);
    // A watchdog still there would act within milliseconds of the starter's end.
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(has_ended(started.server)) << "a process of a normal stop was killed";
    EXPECT_TRUE(fs::exists(scratch)) << "the directory of a normal stop was removed";
    ::kill(started.server, SIGKILL);
    reap_orphan(started.server);
}

TEST_F(ScratchWatchdogTest, AKilledStartersMariadbServerEndsAndItsDirectoryGoes) {
    if (!fs::exists("/usr/sbin/mariadbd")) {
        GTEST_SKIP() << "mariadbd is not installed (apt-get install mariadb-server)";
    }
    Started started = fork_starter([] {
        auto* server = new offstage::drill::MariadbServer();
        server->root_client().query("CREATE DATABASE kept_busy", 30s);
        return Report{server->pid(), -1, server->directory()};
    });
    ASSERT_FALSE(has_ended(started.server));
    ASSERT_TRUE(fs::exists(started.directory / "data"));
    kill_starter(started);
    EXPECT_TRUE(ends_within(started.server, 30s)) << "mariadbd " << started.server << " still runs";
    EXPECT_TRUE(is_gone_within(started.directory, 30s)) << started.directory;
    end_leftovers({started.server}, started.directory);
}

TEST_F(ScratchWatchdogTest, AKilledStartersPostgresqlServerEndsWithItsBackendsAndItsDirectoryGoes) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root: the server runs as the postgres user";
    }
    Started started = fork_starter([] {
        auto* server = new offstage::drill::PostgresqlServer();
        server->psql("postgres", "CREATE DATABASE kept_busy");
        return Report{server->pid(), -1, server->directory()};
    });
    ASSERT_FALSE(has_ended(started.server));
    // The postmaster's children (checkpointer, writer, ...) must end too.
    std::vector<pid_t> children;
    std::ifstream list("/proc/" + std::to_string(started.server) + "/task/" +
                       std::to_string(started.server) + "/children");
    for (pid_t child; list >> child;) {
        children.push_back(child);
    }
    ASSERT_FALSE(children.empty());
    kill_starter(started);
    EXPECT_TRUE(ends_within(started.server, 30s)) << "postgres " << started.server << " still runs";
    for (pid_t child : children) {
        EXPECT_TRUE(ends_within(child, 30s)) << "postgres child " << child << " still runs";
    }
    EXPECT_TRUE(is_gone_within(started.directory, 30s)) << started.directory;
    children.push_back(started.server);
    end_leftovers(children, started.directory);
}

// A starter killed while its PostgreSQL server is made: during initdb (whose own postgres
// processes are in its process group), and while the postmaster starts. Nothing of it runs
// afterwards and its directory goes.
TEST_F(ScratchWatchdogTest, AStarterKilledWhileItsPostgresqlServerIsMadeLeavesNothing) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root: the server runs as the postgres user";
    }
    for (std::string phase : {"initdb", "logging_collector"}) {
        SCOPED_TRACE("killed once a process mentions " + phase);
        offstage::test::TempDir temp;
        fs::permissions(temp.path(), fs::perms(0755)); // the postgres user enters it
        const std::string under = temp.path().string() + "/";
        pid_t starter = ::fork();
        ASSERT_GE(starter, 0);
        if (starter == 0) {
            offstage::drill::PostgresqlServerOptions options;
            options.parent = temp.path();
            try {
                offstage::drill::PostgresqlServer server(options);
                while (true) {
                    ::pause();
                }
            } catch (...) {
                ::_exit(1);
            }
        }
        bool seen = false;
        auto deadline = std::chrono::steady_clock::now() + 60s;
        while (!seen && std::chrono::steady_clock::now() < deadline) {
            for (pid_t pid : processes_mentioning(under)) {
                seen = seen || command_line(pid).find(phase) != std::string::npos;
            }
            std::this_thread::sleep_for(5ms);
        }
        ::kill(starter, SIGKILL);
        ::waitpid(starter, nullptr, 0);
        ASSERT_TRUE(seen) << "no process mentioning " << phase << " under " << under;
        deadline = std::chrono::steady_clock::now() + 40s;
        while (std::chrono::steady_clock::now() < deadline &&
               (!processes_mentioning(under).empty() || !fs::is_empty(temp.path()))) {
            std::this_thread::sleep_for(50ms);
        }
        std::vector<pid_t> left = processes_mentioning(under);
        EXPECT_TRUE(left.empty()) << left.size() << " processes of the killed starter still run";
        end_leftovers(left, {});
        EXPECT_TRUE(fs::is_empty(temp.path())) << "its directory was left in " << under;
    }
}

// The pid file rewritten after the start (as a restored dump could, as the server's user) to
// name another process: stopping the server signals the server, not that process.
void rewrite_pid_file(const fs::path& file, pid_t pid) {
    std::string text = offstage::test::read_file(file);
    std::size_t first_line = text.find('\n');
    std::string rest = first_line == std::string::npos ? "\n" : text.substr(first_line);
    std::ofstream(file, std::ios::trunc) << pid << rest;
}

TEST(ThrowawayServerPid, AMariadbPidFileRewrittenAfterTheStartIsNotBelieved) {
    if (!fs::exists("/usr/sbin/mariadbd")) {
        GTEST_SKIP() << "mariadbd is not installed (apt-get install mariadb-server)";
    }
    pid_t bystander = start_sleeper(false);
    offstage::drill::MariadbServer server;
    pid_t mariadbd = server.pid();
    rewrite_pid_file(server.directory() / "mysqld.pid", bystander);
    server.stop();
    EXPECT_TRUE(has_ended(mariadbd)) << "mariadbd " << mariadbd << " was not stopped";
    EXPECT_FALSE(has_ended(bystander)) << "the pid named by the rewritten file was signalled";
    end_leftovers({mariadbd, bystander}, {});
    ::waitpid(bystander, nullptr, 0);
}

TEST(ThrowawayServerPid, APostgresqlPidFileRewrittenAfterTheStartIsNotBelieved) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root: the server runs as the postgres user";
    }
    pid_t bystander = start_sleeper(false);
    offstage::drill::PostgresqlServer server;
    pid_t postmaster = server.pid();
    rewrite_pid_file(server.directory() / "data" / "postmaster.pid", bystander);
    server.stop();
    EXPECT_TRUE(has_ended(postmaster)) << "postmaster " << postmaster << " was not stopped";
    EXPECT_FALSE(has_ended(bystander)) << "the pid named by the rewritten file was signalled";
    end_leftovers({postmaster, bystander}, {});
    ::waitpid(bystander, nullptr, 0);
}

} // namespace
