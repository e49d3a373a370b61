// `offstage run` through the built binary, on the tiny dpkg root of tests/selection (real dpkg
// database, real policies), with a real spool under a real flock. Every published tree is checked
// with the stock tools: sha256sum, minisign and `offstage verify -i`.
#include "tests/e2e/sent_mail.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using offstage::test::built_program;
using offstage::test::CommandResult;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

// Holds an exclusive flock on `path` in a child until it is killed.
class HeldLock {
public:
    explicit HeldLock(const fs::path& path) {
        int ready[2];
        EXPECT_EQ(::pipe(ready), 0);
        child_ = ::fork();
        if (child_ == 0) {
            int fd = ::open(path.c_str(), O_RDWR | O_CREAT, 0600);
            char ok = (fd >= 0 && ::flock(fd, LOCK_EX) == 0) ? 'y' : 'n';
            [[maybe_unused]] auto written = ::write(ready[1], &ok, 1);
            ::pause();
            ::_exit(0);
        }
        char ok = 0;
        EXPECT_EQ(::read(ready[0], &ok, 1), 1);
        EXPECT_EQ(ok, 'y');
        ::close(ready[0]);
        ::close(ready[1]);
    }
    ~HeldLock() { release(); }
    void release() {
        if (child_ > 0) {
            ::kill(child_, SIGKILL);
            ::waitpid(child_, nullptr, 0);
            child_ = -1;
        }
    }

private:
    pid_t child_ = -1;
};

// A string at `address` in the memory of the stopped process `pid` (at most 4096 bytes).
std::string read_child_string(pid_t pid, std::uint64_t address) {
    std::string text;
    int fd = ::open(("/proc/" + std::to_string(pid) + "/mem").c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return text;
    }
    char chunk[64];
    while (text.size() < 4096) {
        ssize_t got = ::pread(fd, chunk, sizeof chunk, static_cast<off_t>(address + text.size()));
        if (got <= 0) {
            break;
        }
        std::string_view part(chunk, static_cast<std::size_t>(got));
        std::size_t nul = part.find('\0');
        text.append(part.substr(0, nul));
        if (nul != std::string_view::npos) {
            break;
        }
    }
    ::close(fd);
    return text;
}

// How a traced run ended.
enum class TracedEnd { killed_after_rename, exited, no_ptrace };

// Runs `argv` traced (ptrace, syscall stops) and SIGKILLs it at the exit of the first successful
// rename whose target ends in `/TARGET_NAME`: the publishing rename of `offstage run`, before
// anything after it (the prune) runs. Deterministic: the tracee is stopped while we decide.
TracedEnd run_and_kill_after_rename(const std::vector<std::string>& argv,
                                    const std::string& target_name) {
    pid_t child = ::fork();
    if (child == 0) {
        if (::ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) {
            ::_exit(99);
        }
        ::raise(SIGSTOP); // the tracer sets its options first
        std::vector<char*> args;
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFEXITED(status)) {
        return TracedEnd::no_ptrace;
    }
    ::ptrace(PTRACE_SETOPTIONS, child, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL);
    ::ptrace(PTRACE_SYSCALL, child, nullptr, nullptr);
    bool publishing = false;
    std::string suffix = "/" + target_name;
    for (;;) {
        if (::waitpid(child, &status, 0) != child || WIFEXITED(status) || WIFSIGNALED(status)) {
            return TracedEnd::exited;
        }
        int signal = WSTOPSIG(status);
        int inject = 0;
        if (signal == (SIGTRAP | 0x80)) {
            __ptrace_syscall_info info{};
            ::ptrace(PTRACE_GET_SYSCALL_INFO, child, sizeof info, &info);
            if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
                std::uint64_t target = 0;
                if (info.entry.nr == SYS_renameat2 || info.entry.nr == SYS_renameat) {
                    target = info.entry.args[3];
                } else if (info.entry.nr == SYS_rename) {
                    target = info.entry.args[1];
                }
                publishing = target != 0 && read_child_string(child, target).ends_with(suffix);
            } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && publishing) {
                publishing = false;
                if (info.exit.rval == 0) {
                    ::kill(child, SIGKILL);
                    ::waitpid(child, &status, 0);
                    return TracedEnd::killed_after_rename;
                }
            }
        } else if (signal != SIGTRAP) {
            inject = signal; // the tracee's own signals (SIGCHLD of its children) go through
        }
        ::ptrace(PTRACE_SYSCALL, child, nullptr, inject);
    }
}

class OffstageRun : public ::testing::Test {
protected:
    TempDir dir{"offstage-run"};
    fs::path staging = dir / "srv/offstage";
    fs::path spool = dir / "spool";
    fs::path identity = dir / "identity.txt";
    std::string recipient;
    std::string mail_section = "recipients = []\n"; // the [mail] keys of write_config()

    void SetUp() override {
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        static_cast<void>(root);
        fs::create_directories(staging);
        auto made = run_command({"age-keygen", "-o", identity.string()});
        ASSERT_EQ(made.exit_status, 0) << made.err;
        recipient = run_command({"age-keygen", "-y", identity.string()}).out;
        recipient.erase(recipient.find_last_not_of('\n') + 1);
        write_file(spool / "queue/1.msg", "a queued message\n");
        write_config();
    }

    void write_config(const std::string& extra = "", int keep = 2, int lock_timeout = 2) {
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        write_file(dir / "offstage.toml",
                   "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                       (dir / "state/signing.key").string() + "\"\nkeep = " + std::to_string(keep) +
                       "\n[run]\nlock = \"" + (dir / "run.lock").string() +
                       "\"\nlock_wait = 1\nstate_dir = \"" + (dir / "state").string() +
                       "\"\nlog_file = \"" + (dir / "run.log").string() +
                       "\"\nsyslog = false\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                       (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                       root.root().string() + "\"\nadmindir = \"" + root.admindir().string() +
                       "\"\npolicy_dir = \"" + root.policy_dir().string() +
                       "\"\n[encryption]\nrecipients = [\"" + recipient + "\"]\n[mail]\n" +
                       mail_section + "[[spool]]\nname = \"mail\"\n" + "directory = \"" +
                       spool.string() + "\"\nlock_file = \"" + (dir / "spool.lock").string() +
                       "\"\nlock_timeout = " + std::to_string(lock_timeout) + "\n" + extra);
    }

    CommandResult offstage(std::vector<std::string> args) const {
        args.insert(args.begin(), {built_program("offstage").string(), "--config",
                                   (dir / "offstage.toml").string()});
        return run_command(args);
    }
    CommandResult run(const std::string& day) const { return offstage({"run", "--day", day}); }

    std::vector<std::string> published() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(staging)) {
            names.push_back(entry.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    // What the provider checks on a tree: sha256sum, minisign, offstage verify with the identity.
    void expect_verifies(const std::string& day) const {
        fs::path tree = staging / day;
        auto sums = run_command({"sha256sum", "--check", "--strict", "--quiet", "SHA256SUMS"}, [&] {
            offstage::test::CommandOptions options;
            options.working_directory = tree;
            return options;
        }());
        EXPECT_EQ(sums.exit_status, 0) << day << ": " << sums.out << sums.err;
        auto key = offstage({"key", "signing", "--key", (dir / "state/signing.key").string()});
        ASSERT_EQ(key.exit_status, 0) << key.err;
        write_file(dir / "signing.pub", key.out);
        auto signature = run_command({"minisign", "-V", "-p", (dir / "signing.pub").string(), "-m",
                                      (tree / "SHA256SUMS").string()});
        EXPECT_EQ(signature.exit_status, 0) << day << ": " << signature.err;
        auto verified = offstage({"verify", "-P", (dir / "signing.pub").string(), "-i",
                                  identity.string(), tree.string()});
        EXPECT_EQ(verified.exit_status, 0) << day << ": " << verified.out << verified.err;
    }

    // Points the config at a copy of the tiny root (for a test that changes it); returns it.
    fs::path use_copy_of_root() {
        fs::path root = dir / "root";
        auto copied =
            run_command({"cp", "-a", TinyDebianRoot::shared().root().string(), root.string()});
        EXPECT_EQ(copied.exit_status, 0) << copied.err;
        std::string config = read_file(dir / "offstage.toml");
        std::string old_root = "root = \"" + TinyDebianRoot::shared().root().string() + "\"";
        config.replace(config.find(old_root), old_root.size(), "root = \"" + root.string() + "\"");
        std::string old_admin = TinyDebianRoot::shared().admindir().string();
        config.replace(config.find(old_admin), old_admin.size(), (root / "var/lib/dpkg").string());
        write_file(dir / "offstage.toml", config);
        return root;
    }

    ino_t inode(const fs::path& path) const {
        struct stat info {};
        EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
        return info.st_ino;
    }
};

} // namespace

TEST_F(OffstageRun, PublishesASignedTreeThatTheStockToolsCheck) {
    auto result = run("2026-11-22");
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("2026-11-22"), std::string::npos) << result.out;
    EXPECT_EQ(published(), std::vector<std::string>{"2026-11-22"});
    fs::path tree = staging / "2026-11-22";
    for (const char* name :
         {"files.tar.zst.age", "system.tar.zst.age", "catalog.tar.zst.age",
          "spool-mail.tar.zst.age", "report.json", "SHA256SUMS", "SHA256SUMS.minisig"}) {
        struct stat info {};
        ASSERT_EQ(::lstat((tree / name).c_str(), &info), 0) << name;
        EXPECT_EQ(info.st_mode & 07777, 0640u) << name;
    }
    struct stat info {};
    ASSERT_EQ(::stat(tree.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0750u);
    expect_verifies("2026-11-22");
    // report.json names no host path: neither the scanned root nor any file below it.
    std::string report = read_file(tree / "report.json");
    EXPECT_EQ(report.find(TinyDebianRoot::shared().root().string()), std::string::npos);
    EXPECT_EQ(report.find("/etc/"), std::string::npos);
    EXPECT_NE(report.find("\"status\": \"complete\""), std::string::npos) << report;
    // Nothing is left in the work root.
    EXPECT_TRUE(fs::is_empty(dir / "srv/offstage.work"));
    // The run's log file has every step, time-stamped.
    std::string log = read_file(dir / "run.log");
    EXPECT_NE(log.find("Z source files: ok\n"), std::string::npos) << log;
    EXPECT_NE(log.find("Z published 2026-11-22\n"), std::string::npos) << log;
}

TEST_F(OffstageRun, TheNextDayReusesWhatDidNotChangeAndSeesNoNewAnnoyingFile) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    auto second = run("2026-11-23");
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    for (const char* name : {"system.tar.zst.age", "spool-mail.tar.zst.age"}) {
        EXPECT_EQ(inode(staging / "2026-11-22" / name), inode(staging / "2026-11-23" / name))
            << name << " was written again";
    }
    EXPECT_NE(inode(staging / "2026-11-22/files.tar.zst.age"),
              inode(staging / "2026-11-23/files.tar.zst.age"));
    EXPECT_NE(read_file(staging / "2026-11-22/report.json").find("\"new_annoying_files\": 0"), 0u);
    EXPECT_NE(read_file(staging / "2026-11-23/report.json").find("\"new_annoying_files\": 0"),
              std::string::npos);
    expect_verifies("2026-11-23");
    // A changed spool is written anew.
    write_file(spool / "queue/2.msg", "another\n");
    ASSERT_EQ(run("2026-11-24").exit_status, 0);
    EXPECT_NE(inode(staging / "2026-11-23/spool-mail.tar.zst.age"),
              inode(staging / "2026-11-24/spool-mail.tar.zst.age"));
}

TEST_F(OffstageRun, KeepsTheNewestTreesAndReplacesADayWhole) {
    write_config("", 2);
    for (const char* day : {"2026-11-20", "2026-11-21", "2026-11-22"}) {
        ASSERT_EQ(run(day).exit_status, 0) << day;
    }
    EXPECT_EQ(published(), (std::vector<std::string>{"2026-11-21", "2026-11-22"}));
    ino_t before = inode(staging / "2026-11-22/files.tar.zst.age");
    auto again = run("2026-11-22");
    ASSERT_EQ(again.exit_status, 0) << again.out << again.err;
    EXPECT_NE(inode(staging / "2026-11-22/files.tar.zst.age"), before);
    EXPECT_EQ(published(), (std::vector<std::string>{"2026-11-21", "2026-11-22"}));
    expect_verifies("2026-11-22");
}

TEST_F(OffstageRun, ALiveRunLockMakesASecondRunExitBusy) {
    HeldLock held(dir / "run.lock");
    auto result = run("2026-11-22");
    EXPECT_EQ(result.exit_status, 75) << result.out << result.err;
    EXPECT_NE(result.err.find("run.lock"), std::string::npos) << result.err;
    EXPECT_TRUE(published().empty());
}

TEST_F(OffstageRun, ASpoolLockNeverReleasedFailsThatSourceAndTheRestIsPublished) {
    HeldLock held(dir / "spool.lock");
    auto result = run("2026-11-22");
    EXPECT_EQ(result.exit_status, 5) << result.out << result.err;
    EXPECT_NE(result.out.find("spool-mail: failed"), std::string::npos) << result.out;
    std::string report = read_file(staging / "2026-11-22/report.json");
    EXPECT_NE(report.find("lock_timeout"), std::string::npos) << report;
    EXPECT_NE(report.find("\"status\": \"degraded\""), std::string::npos) << report;
    EXPECT_FALSE(fs::exists(staging / "2026-11-22/spool-mail.tar.zst.age"));
    expect_verifies("2026-11-22");
}

TEST_F(OffstageRun, AKilledRunLeavesNoPartialTreeAndTheNextRunCleansUp) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    write_config("", 2, 60);
    // The run waits for the spool's lock: kill -9 it there, with its work dir half written.
    HeldLock held(dir / "spool.lock");
    pid_t child = ::fork();
    if (child == 0) {
        std::string offstage = built_program("offstage").string();
        std::string config = (dir / "offstage.toml").string();
        ::execl(offstage.c_str(), offstage.c_str(), "--config", config.c_str(), "run", "--day",
                "2026-11-23", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    fs::path work_root = dir / "srv/offstage.work";
    bool files_written = false;
    for (int i = 0; i < 200 && !files_written; ++i) {
        std::this_thread::sleep_for(50ms);
        std::error_code ignored;
        for (const auto& entry : fs::directory_iterator(work_root, ignored)) {
            files_written = files_written || fs::exists(entry.path() / "files.tar.zst.age");
        }
    }
    ASSERT_TRUE(files_written) << "the run never got to its spool";
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    EXPECT_EQ(published(), std::vector<std::string>{"2026-11-22"});
    expect_verifies("2026-11-22");
    held.release();
    write_config();
    auto next = run("2026-11-23");
    ASSERT_EQ(next.exit_status, 0) << next.out << next.err;
    EXPECT_NE(next.out.find("taken over from pid " + std::to_string(child)), std::string::npos)
        << next.out;
    EXPECT_NE(next.out.find("removed .incoming-2026-11-23-"), std::string::npos) << next.out;
    EXPECT_EQ(published(), (std::vector<std::string>{"2026-11-22", "2026-11-23"}));
    EXPECT_TRUE(fs::is_empty(work_root));
    expect_verifies("2026-11-23");
}

TEST_F(OffstageRun, AFullStagingFilesystemFailsTheRunAndKeepsThePreviousTrees) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    }
    fs::path mount = dir / "mnt";
    fs::create_directories(mount);
    ASSERT_EQ(::mount("tmpfs", mount.c_str(), "tmpfs", 0, "size=2m"), 0);
    struct Unmount {
        fs::path path;
        ~Unmount() { ::umount2(path.c_str(), MNT_DETACH); }
    } unmount{mount};
    staging = mount / "offstage";
    fs::create_directories(staging);
    write_config();
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    // 4 MiB that do not compress: more than the filesystem holds.
    {
        std::ifstream random("/dev/urandom", std::ios::binary);
        std::string bytes(4 << 20, '\0');
        random.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        write_file(spool / "queue/big", bytes);
    }
    auto failed = run("2026-11-23");
    EXPECT_EQ(failed.exit_status, 1) << failed.out << failed.err;
    EXPECT_NE(failed.out.find("No space left on device"), std::string::npos) << failed.out;
    EXPECT_NE(failed.out.find("nothing new was published"), std::string::npos) << failed.out;
    EXPECT_EQ(published(), std::vector<std::string>{"2026-11-22"});
    EXPECT_TRUE(fs::is_empty(mount / "offstage.work"));
    expect_verifies("2026-11-22");
}

TEST_F(OffstageRun, ABadConfigurationIsStatus3WithItsPlace) {
    write_config("[staging]\nkeep = 0\n");
    auto duplicate = run("2026-11-22");
    EXPECT_EQ(duplicate.exit_status, 3) << duplicate.err;
    write_config("[[spool]]\nname = \"other\"\ndirectory = \"relative\"\n");
    auto relative = run("2026-11-22");
    EXPECT_EQ(relative.exit_status, 3) << relative.err;
    EXPECT_NE(relative.err.find("offstage.toml:"), std::string::npos) << relative.err;
    EXPECT_NE(relative.err.find("directory"), std::string::npos) << relative.err;
    EXPECT_TRUE(published().empty());
}

TEST_F(OffstageRun, HooksGetTheirArgumentsAndAFailingPreHookPublishesNothing) {
    fs::path calls = dir / "hook-calls";
    write_file(
        dir / "hook.sh",
        "#!/bin/sh\necho \"$0 $* day=$OFFSTAGE_DAY status=$OFFSTAGE_STATUS home=$HOME\" >> " +
            calls.string() + "\n",
        fs::perms(0755));
    write_config("[hooks]\npre = [\"" + (dir / "hook.sh").string() + "\", \"pre\"]\npost = [\"" +
                 (dir / "hook.sh").string() + "\", \"post\"]\n");
    auto good = run("2026-11-22");
    ASSERT_EQ(good.exit_status, 0) << good.out << good.err;
    std::string lines = read_file(calls);
    EXPECT_NE(lines.find("pre 2026-11-22 " + (dir / "srv/offstage.work").string() +
                         "/.incoming-2026-11-22-"),
              std::string::npos)
        << lines;
    EXPECT_NE(lines.find("post 2026-11-22 complete " + (staging / "2026-11-22").string() +
                         " day=2026-11-22 status=complete home=\n"),
              std::string::npos)
        << lines; // nothing of offstage's environment (HOME) reaches a hook

    write_file(dir / "fail.sh", "#!/bin/sh\necho 'cannot stop the service' >&2\nexit 3\n",
               fs::perms(0755));
    write_config("[hooks]\npre = [\"" + (dir / "fail.sh").string() + "\"]\n");
    auto failed = run("2026-11-23");
    EXPECT_EQ(failed.exit_status, 1) << failed.out << failed.err;
    EXPECT_NE(failed.out.find("the pre hook failed"), std::string::npos) << failed.out;
    EXPECT_NE(failed.out.find("cannot stop the service"), std::string::npos) << failed.out;
    EXPECT_EQ(published(), std::vector<std::string>{"2026-11-22"});
    EXPECT_TRUE(fs::is_empty(dir / "srv/offstage.work"));

    write_config("[hooks]\npost = [\"" + (dir / "fail.sh").string() + "\"]\n");
    auto post = run("2026-11-24");
    EXPECT_EQ(post.exit_status, 0) << post.out << post.err;
    EXPECT_NE(post.out.find("note: the post hook failed"), std::string::npos) << post.out;
    expect_verifies("2026-11-24");
}

TEST_F(OffstageRun, PolicyCheckSaysWhatARunWouldMeet) {
    fs::permissions(staging, fs::perms(0750));
    auto good = offstage({"policy", "check"});
    EXPECT_EQ(good.exit_status, 0) << good.out << good.err;
    EXPECT_NE(good.out.find("ok: run: staging root " + staging.string()), std::string::npos)
        << good.out;
    EXPECT_NE(good.out.find("ok: run: [[spool]] mail"), std::string::npos) << good.out;
    fs::permissions(staging, fs::perms(0755));
    write_config("[hooks]\npre = [\"/nonexistent/hook\"]\n");
    auto bad = offstage({"policy", "check"});
    EXPECT_EQ(bad.exit_status, 3) << bad.out << bad.err;
    EXPECT_NE(bad.err.find("staging root " + staging.string() + " has mode 0755"),
              std::string::npos)
        << bad.err;
    EXPECT_NE(bad.err.find("[hooks] pre /nonexistent/hook: No such file or directory"),
              std::string::npos)
        << bad.err;
    EXPECT_FALSE(fs::exists(dir / "srv/offstage.work")) << "policy check created the work root";
}

TEST_F(OffstageRun, AMailThatCannotBeSentIsKeptAndTheTreeStaysPublished) {
    write_file(dir / "sendmail", "#!/bin/sh\necho 'mail system down' >&2\nexit 1\n",
               fs::perms(0755));
    mail_section = "recipients = [\"root\"]\nsendmail = \"" + (dir / "sendmail").string() +
                   "\"\nkeep_dir = \"" + (dir / "kept").string() + "\"\n";
    write_config();
    auto result = run("2026-11-22");
    EXPECT_EQ(result.exit_status, 6) << result.out << result.err;
    EXPECT_NE(result.out.find("mail system down"), std::string::npos) << result.out;
    ASSERT_TRUE(fs::exists(dir / "kept"));
    std::vector<fs::path> kept;
    for (const auto& entry : fs::directory_iterator(dir / "kept")) {
        kept.push_back(entry.path());
    }
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_NE(read_file(kept.front()).find("Subject: offstage"), std::string::npos);
    expect_verifies("2026-11-22");
}

TEST_F(OffstageRun, AKilledRunWhileWritingFilesLeavesNothingPublished) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    // A root whose files take a moment to archive: a copy of the tiny root with 256 MiB of
    // random data in an annoying file.
    fs::path root = use_copy_of_root();
    auto made = run_command({"dd", "if=/dev/urandom", "of=" + (root / "srv/big").string(), "bs=1M",
                             "count=256", "status=none"});
    ASSERT_EQ(made.exit_status, 0) << made.err;
    pid_t child = ::fork();
    if (child == 0) {
        std::string offstage = built_program("offstage").string();
        std::string config_path = (dir / "offstage.toml").string();
        ::execl(offstage.c_str(), offstage.c_str(), "--config", config_path.c_str(), "run", "--day",
                "2026-11-23", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    // Kill it while the files artifact is being written (its hidden temp file exists).
    fs::path work_root = dir / "srv/offstage.work";
    bool writing = false;
    for (int i = 0; i < 400 && !writing; ++i) {
        std::this_thread::sleep_for(10ms);
        std::error_code ignored;
        for (const auto& work : fs::directory_iterator(work_root, ignored)) {
            for (const auto& entry : fs::directory_iterator(work.path(), ignored)) {
                writing = writing ||
                          entry.path().filename().string().starts_with(".files.tar.zst.age.tmp-");
            }
        }
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ASSERT_TRUE(writing) << "the run never got to writing its files artifact";
    EXPECT_EQ(published(), std::vector<std::string>{"2026-11-22"});
    expect_verifies("2026-11-22");
    fs::remove(root / "srv/big");
    auto next = run("2026-11-23");
    ASSERT_EQ(next.exit_status, 0) << next.out << next.err;
    EXPECT_TRUE(fs::is_empty(work_root));
    expect_verifies("2026-11-23");
}

TEST_F(OffstageRun, TheMailSaysWhichConffilesChangedStateSinceTheLastRun) {
    fs::path captured = dir / "mail.txt";
    write_file(dir / "sendmail", "#!/bin/sh\ncat > " + captured.string() + "\n", fs::perms(0755));
    // Every run mails ([mail] send = "always"): the third, with nothing changed, says so.
    mail_section = "recipients = [\"root\"]\nsend = \"always\"\nsendmail = \"" +
                   (dir / "sendmail").string() + "\"\n";
    write_config();
    fs::path root = use_copy_of_root();
    // The tiny root's admin modified a.conf and deleted b.conf: the first run knows no earlier
    // state, so both are first seen; the unchanged ones are not listed.
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    auto body = [&] { return offstage::e2e::SentMail::read(captured).body(); };
    std::string first = body();
    EXPECT_NE(first.find("== Conffile changes ==\n2 conffiles changed state since the last run:\n"
                         "  /etc/tiny/a.conf: modified (first seen)\n"
                         "  /etc/tiny/b.conf: missing (first seen)\n\n"),
              std::string::npos)
        << first;
    // Between two runs the admin edits one conffile and puts another back as shipped.
    write_file(root / "etc/tiny/with space.conf", "s, edited\n");
    write_file(root / "etc/tiny/a.conf", "a\n");
    ASSERT_EQ(run("2026-11-23").exit_status, 0);
    std::string second = body();
    EXPECT_NE(second.find("== Conffile changes ==\n2 conffiles changed state since the last run:\n"
                          "  /etc/tiny/a.conf: modified -> unchanged\n"
                          "  /etc/tiny/with space.conf: unchanged -> modified\n\n"),
              std::string::npos)
        << second;
    ASSERT_EQ(run("2026-11-24").exit_status, 0);
    std::string third = body();
    EXPECT_NE(third.find("== Conffile changes ==\nNo conffile changed since the last run.\n"),
              std::string::npos)
        << third;
}

TEST_F(OffstageRun, AKilledRunBetweenPublishAndPruneLeavesCompleteTreesAndTheNextRunPrunes) {
    for (const char* day : {"2026-11-20", "2026-11-21"}) {
        ASSERT_EQ(run(day).exit_status, 0) << day;
    }
    // kill -9 the instant the rename that publishes 2026-11-22 has returned: 2026-11-20 is then
    // beyond the retention (keep = 2) but not pruned yet.
    TracedEnd end =
        run_and_kill_after_rename({built_program("offstage").string(), "--config",
                                   (dir / "offstage.toml").string(), "run", "--day", "2026-11-22"},
                                  "2026-11-22");
    if (end == TracedEnd::no_ptrace) {
        GTEST_SKIP() << "ptrace(PTRACE_TRACEME) is refused here (seccomp or Yama)";
    }
    ASSERT_EQ(end, TracedEnd::killed_after_rename) << "the run never published 2026-11-22";
    // The published tree is complete and every old tree is still there, whole.
    EXPECT_EQ(published(), (std::vector<std::string>{"2026-11-20", "2026-11-21", "2026-11-22"}));
    for (const char* day : {"2026-11-20", "2026-11-21", "2026-11-22"}) {
        expect_verifies(day);
    }
    EXPECT_TRUE(fs::is_empty(dir / "srv/offstage.work"));
    // The next run takes the lock over, publishes, and prunes what the killed run left.
    auto next = run("2026-11-23");
    ASSERT_EQ(next.exit_status, 0) << next.out << next.err;
    EXPECT_NE(next.out.find("the run lock was taken over"), std::string::npos) << next.out;
    EXPECT_EQ(published(), (std::vector<std::string>{"2026-11-22", "2026-11-23"}));
    expect_verifies("2026-11-23");
}

TEST_F(OffstageRun, TheConfiguredModesAreWhatTheTreeGetsAndPolicyCheckSaysThem) {
    write_config("", 2);
    std::string config = read_file(dir / "offstage.toml");
    config.replace(config.find("keep = 2\n"), 9,
                   "keep = 2\nfile_mode = \"0600\"\ndirectory_mode = \"0710\"\n");
    write_file(dir / "offstage.toml", config);
    fs::permissions(staging, fs::perms(0750));
    auto check = offstage({"policy", "check"});
    EXPECT_EQ(check.exit_status, 0) << check.out << check.err;
    EXPECT_NE(check.out.find("ok: run: published trees: owner root (uid 0), group "),
              std::string::npos)
        << check.out;
    EXPECT_NE(check.out.find("files 0600, directories 0710\n"), std::string::npos) << check.out;
    auto result = run("2026-11-22");
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    fs::path tree = staging / "2026-11-22";
    struct stat info {};
    ASSERT_EQ(::stat(tree.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0710u);
    for (const auto& entry : fs::recursive_directory_iterator(tree)) {
        ASSERT_EQ(::lstat(entry.path().c_str(), &info), 0);
        EXPECT_EQ(info.st_mode & 07777, entry.is_directory() ? 0710u : 0600u) << entry.path();
    }
    expect_verifies("2026-11-22");
}

// `offstage status` checks the newest tree's seal cheaply (signature, listed files present with
// the catalog's sizes, nothing changed after signing) and exits 4 when it is broken;
// `offstage verify` hashes everything. Each tampering case on a real published tree, restored
// from a copy (cp -a keeps the times) between cases.
TEST_F(OffstageRun, StatusAndVerifySayWhatWasTamperedWith) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    fs::path tree = staging / "2026-11-22";
    fs::path pristine = dir / "pristine";
    ASSERT_EQ(run_command({"cp", "-a", tree.string(), pristine.string()}).exit_status, 0);
    auto restore_tree = [&] {
        fs::remove_all(tree);
        ASSERT_EQ(run_command({"cp", "-a", pristine.string(), tree.string()}).exit_status, 0);
    };
    auto status = [&] { return offstage({"status"}); };
    auto verify = [&] {
        auto key = offstage({"key", "signing", "--key", (dir / "state/signing.key").string()});
        write_file(dir / "signing.pub", key.out);
        return offstage({"verify", "-P", (dir / "signing.pub").string(), tree.string()});
    };
    auto expect_broken = [&](const std::string& what, const std::string& status_says,
                             const std::string& verify_says) {
        auto shown = status();
        EXPECT_EQ(shown.exit_status, 4) << what << ": " << shown.out << shown.err;
        EXPECT_NE(shown.out.find("Seal:                 BROKEN:\n"), std::string::npos)
            << what << ": " << shown.out;
        EXPECT_NE(shown.out.find(status_says), std::string::npos) << what << ": " << shown.out;
        auto json = offstage({"status", "--json"});
        EXPECT_EQ(json.exit_status, 4) << what;
        EXPECT_NE(json.out.find("\"state\": \"broken\""), std::string::npos) << json.out;
        auto verified = verify();
        EXPECT_EQ(verified.exit_status, 4) << what << ": " << verified.out << verified.err;
        EXPECT_NE(verified.out.find(verify_says), std::string::npos)
            << what << ": " << verified.out;
    };

    auto intact = status();
    EXPECT_EQ(intact.exit_status, 0) << intact.out << intact.err;
    EXPECT_NE(intact.out.find("Seal:                 intact: signature by key "), std::string::npos)
        << intact.out;
    EXPECT_NE(intact.out.find("listed files present (4 with the size the catalog recorded)"),
              std::string::npos)
        << intact.out;

    // A flipped byte in an artifact.
    {
        fs::path artifact = tree / "files.tar.zst.age";
        std::string bytes = read_file(artifact);
        bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
        struct stat before {};
        ASSERT_EQ(::stat(artifact.c_str(), &before), 0);
        write_file(artifact, bytes);
        expect_broken("flipped byte", "    files.tar.zst.age: modified after the signature",
                      "BAD files.tar.zst.age");
        // With its mtime set back the cheap check cannot tell; verify, which hashes, still does.
        struct timespec times[2] = {before.st_atim, before.st_mtim};
        ASSERT_EQ(::utimensat(AT_FDCWD, artifact.c_str(), times, 0), 0);
        auto shown = status();
        EXPECT_EQ(shown.exit_status, 0) << shown.out;
        EXPECT_NE(shown.out.find("contents not hashed: offstage verify 2026-11-22"),
                  std::string::npos)
            << shown.out;
        EXPECT_EQ(verify().exit_status, 4);
        restore_tree();
    }
    // A removed artifact.
    fs::remove(tree / "spool-mail.tar.zst.age");
    expect_broken("removed artifact", "    spool-mail.tar.zst.age: missing",
                  "BAD spool-mail.tar.zst.age");
    restore_tree();
    // An edited SHA256SUMS (one digit of one digest).
    {
        std::string sums = read_file(tree / "SHA256SUMS");
        sums[0] = sums[0] == '0' ? '1' : '0';
        write_file(tree / "SHA256SUMS", sums);
        expect_broken("edited SHA256SUMS", "    signature: ", "BAD signature");
        restore_tree();
    }
    // Signed again by a key that is not the host's.
    {
        auto made = run_command({"minisign", "-G", "-W", "-p", (dir / "other.pub").string(), "-s",
                                 (dir / "other.key").string()});
        ASSERT_EQ(made.exit_status, 0) << made.err;
        fs::remove(tree / "SHA256SUMS.minisig");
        auto signed_again =
            run_command({"minisign", "-S", "-s", (dir / "other.key").string(), "-m",
                         (tree / "SHA256SUMS").string(), "-x",
                         (tree / "SHA256SUMS.minisig").string(), "-t", "offstage day=2026-11-22"});
        ASSERT_EQ(signed_again.exit_status, 0) << signed_again.err;
        expect_broken("another key", "    signature: ", "BAD signature");
        restore_tree();
    }
    auto again = status();
    EXPECT_EQ(again.exit_status, 0) << again.out;
}
