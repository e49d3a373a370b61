// The provider's whole flow, end to end and all real: Debian's sshd with a key forced to the
// built offstage-shell, whose `backup` runs the built `offstage run` on a dpkg root the tests
// built (tests/selection's TinyDebianRoot) and a spool; the real ssh and rsync clients pull the
// published day; sha256sum, minisign and `offstage verify` check the pulled copy, and `offstage
// extract` restores from it. The run's mail goes to a sendmail that keeps it in a file.
#include "tests/e2e/held_flock.hpp"
#include "tests/e2e/sent_mail.hpp"
#include "tests/e2e/shell_deployment.hpp"
#include "tests/e2e/tree_snapshot.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace offstage::e2e {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::TempDir;
using test::TinyDebianRoot;

constexpr int busy_status = 75;
constexpr int degraded_status = 5; // docs/staging-tree.md: published, some source not ok
constexpr const char* day_one = "2026-11-22";
constexpr const char* day_two = "2026-11-23";

std::string describe(const CommandResult& result) {
    return "exit status " + std::to_string(result.exit_status) + "\n--- stdout:\n" + result.out +
           "\n--- stderr:\n" + result.err;
}

CommandResult run_in(const fs::path& directory, const std::vector<std::string>& argv) {
    test::CommandOptions options;
    options.working_directory = directory;
    return test::run_command(argv, options);
}

// A name as the mail prints it (docs/mail.md, "Names"): the tiny root's non-ASCII names are
// Latin-1 bytes, not UTF-8, so each such byte reads as a backslash and three octal digits.
std::string as_mail_prints(const std::string& name) {
    std::string printed;
    for (unsigned char c : name) {
        if (c < 0x80) {
            printed.push_back(static_cast<char>(c));
        } else {
            char octal[8];
            std::snprintf(octal, sizeof octal, "\\%03o", c);
            printed += octal;
        }
    }
    return printed;
}

// The files the tiny root has that no package ships and no policy explains, as the mail lists
// them.
std::vector<std::string> planted_annoying_files() {
    std::vector<std::string> names;
    for (const std::string& member : TinyDebianRoot::expected_members()) {
        const std::string reason = member.substr(0, member.find(' '));
        if (reason == "annoying") {
            names.push_back(as_mail_prints(member.substr(member.find(' ') + 1)));
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

ino_t inode(const fs::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_ino;
}

// The day directories below `root` and any name holding ".incoming" anywhere below it.
struct RootListing {
    std::vector<std::string> days;
    std::vector<std::string> incoming;
};

RootListing list_root(const fs::path& root) {
    RootListing listing;
    for (const auto& entry : fs::directory_iterator(root)) {
        listing.days.push_back(entry.path().filename().string());
    }
    std::sort(listing.days.begin(), listing.days.end());
    for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (entry.path().string().find(".incoming") != std::string::npos) {
            listing.incoming.push_back(entry.path().string());
        }
    }
    return listing;
}

class BackupEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::make_unique<TempDir>("offstage-e2e-backup");
        scratch_ = std::make_unique<TempDir>("offstage-e2e-provider");
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        ShellDeployment::Options options;
        options.shell_program = test::built_program("offstage-shell");
        options.offstage_program = test::built_program("offstage");
        options.scan = {root.root(), root.admindir(), root.policy_dir()};
        site_ = std::make_unique<ShellDeployment>(directory_->path(), options);
    }
    void TearDown() override {
        if (HasFailure() && site_) {
            std::cerr << "--- sshd log:\n" << site_->sshd().log() << "--- shell log:\n";
            std::ifstream log(site_->shell_log());
            std::cerr << log.rdbuf() << "---\n";
        }
        site_.reset(); // stops sshd before its directory goes
        directory_.reset();
    }

    ShellDeployment& site() { return *site_; }
    fs::path scratch(const std::string& name) const { return scratch_->path() / name; }

    // `ssh host backup` with the shell configured to stage `day`; asserts nothing.
    CommandResult backup(const std::string& day) {
        site().backup_stages(day);
        return site().ssh("backup");
    }

    // `rsync -a host:DAY/ local/`.
    CommandResult pull(const std::string& day, const fs::path& local) {
        return site().rsync({"-a", site().remote(day + "/"), local.string() + "/"});
    }

    // Waits until a run of `day` has a work dir with its files artifact written: from then on
    // it waits for the spool's lock (which the test holds).
    bool run_reached_the_spool(const std::string& day) const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            std::error_code ignored;
            for (const auto& entry : fs::directory_iterator(site_->work_root(), ignored)) {
                const std::string name = entry.path().filename().string();
                if (name.rfind(".incoming-" + day + "-", 0) == 0 &&
                    fs::exists(entry.path() / "files.tar.zst.age")) {
                    return true;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return false;
    }

    std::unique_ptr<TempDir> directory_;
    std::unique_ptr<TempDir> scratch_;
    std::unique_ptr<ShellDeployment> site_;
};

TEST_F(BackupEndToEnd, TheProvidersWholeFlowPullsASignedTreeThatTheStockToolsCheck) {
    // 1. The provider asks for today's backup: the real run, through the forced shell.
    const CommandResult staged = backup(day_one);
    ASSERT_EQ(staged.exit_status, 0) << describe(staged);
    EXPECT_NE(staged.out.find(day_one), std::string::npos) << describe(staged);

    // 2. It pulls the day with the stock rsync client.
    const fs::path local = scratch(day_one);
    const CommandResult pulled = pull(day_one, local);
    ASSERT_EQ(pulled.exit_status, 0) << describe(pulled);
    const std::vector<std::string> differences =
        TreeSnapshot::of(site().staging_root() / day_one).differences_to(TreeSnapshot::of(local));
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
    for (const char* name :
         {"files.tar.zst.age", "system.tar.zst.age", "catalog.tar.zst.age",
          "spool-mail.tar.zst.age", "report.json", "SHA256SUMS", "SHA256SUMS.minisig"}) {
        EXPECT_TRUE(fs::is_regular_file(local / name)) << name;
    }

    // 3. It checks the pulled copy with the stock tools and offstage's own, with the public
    // key and the identity it keeps off the host.
    const CommandResult sums = run_in(local, {"sha256sum", "--check", "--strict", "SHA256SUMS"});
    EXPECT_EQ(sums.exit_status, 0) << describe(sums);
    const fs::path public_key = site().write_signing_public_key(scratch("signing.pub"));
    const CommandResult signature = test::run_command(
        {"minisign", "-V", "-p", public_key.string(), "-m", (local / "SHA256SUMS").string()});
    EXPECT_EQ(signature.exit_status, 0) << describe(signature);
    const CommandResult verified =
        test::run_command({site().offstage_program().string(), "verify", "-P", public_key.string(),
                           "-i", site().identity().string(), local.string()});
    EXPECT_EQ(verified.exit_status, 0) << describe(verified);

    // 4. It restores a file from the pulled copy, byte-identical to the host's.
    const fs::path restored = scratch("restored");
    fs::create_directories(restored);
    const CommandResult extracted = test::run_command(
        {site().offstage_program().string(), "extract", "-i", site().identity().string(), "--to",
         restored.string(), (local / "files.tar.zst.age").string()});
    ASSERT_EQ(extracted.exit_status, 0) << describe(extracted);
    for (const char* name : {"etc/tiny/local-admin.conf", "root/r\xe9sum\xe9"}) {
        SCOPED_TRACE(name);
        const CommandResult same = test::run_command(
            {"cmp", (site().scan().root / name).string(), (restored / name).string()});
        EXPECT_EQ(same.exit_status, 0) << describe(same);
    }

    // 5. The admins' mail names exactly the annoying files planted in the root, as new.
    const SentMail first_mail = SentMail::read(site().last_mail());
    EXPECT_NE(first_mail.header("Subject").value_or("").find(std::string(day_one) + ": OK"),
              std::string::npos)
        << first_mail.headers();
    EXPECT_EQ(first_mail.header("Auto-Submitted"), "auto-generated");
    EXPECT_EQ(first_mail.listed_under("New annoying files since the last run"),
              planted_annoying_files())
        << first_mail.body();
    // Grouped by directory: each planted file is a group of its own, with its accept command.
    std::vector<std::string> groups;
    for (const std::string& line : first_mail.listed_under("Annoying files (")) {
        if (line.rfind("  ", 0) != 0) { // the group line, not its indented command
            groups.push_back(line.substr(0, line.rfind(": 1 file (new)")));
        }
    }
    std::sort(groups.begin(), groups.end());
    EXPECT_EQ(groups, planted_annoying_files()) << first_mail.body();

    // 6. The next day: nothing new to report, so no mail ([mail] send = "on-change"), and what
    // did not change is not written again: the provider's next pull transfers none of its bytes.
    fs::remove(site().last_mail());
    const CommandResult next = backup(day_two);
    ASSERT_EQ(next.exit_status, 0) << describe(next);
    EXPECT_FALSE(fs::exists(site().last_mail())) << "nothing changed, yet a mail was sent";
    const fs::path staging = site().staging_root();
    for (const char* name : {"system.tar.zst.age", "spool-mail.tar.zst.age"}) {
        EXPECT_EQ(inode(staging / day_one / name), inode(staging / day_two / name))
            << name << " was written again";
    }
    const std::string report = test::read_file(staging / day_two / "report.json");
    EXPECT_NE(report.find("\"new_annoying_files\": 0"), std::string::npos) << report;
    const CommandResult second_pull = pull(day_two, scratch(day_two));
    ASSERT_EQ(second_pull.exit_status, 0) << describe(second_pull);
    const CommandResult second_verified =
        test::run_command({site().offstage_program().string(), "verify", "-P", public_key.string(),
                           "-i", site().identity().string(), scratch(day_two).string()});
    EXPECT_EQ(second_verified.exit_status, 0) << describe(second_verified);
}

TEST_F(BackupEndToEnd, APullDuringARunSeesOnlyCompleteTrees) {
    const CommandResult first = backup(day_one);
    ASSERT_EQ(first.exit_status, 0) << describe(first);

    // The next run waits for the spool's lock, its day half written in the work root.
    HeldFlock spool(site().spool_lock());
    site().backup_stages(day_two);
    CommandResult running;
    std::thread run([&] { running = site().ssh("backup"); });
    const bool waiting = run_reached_the_spool(day_two);

    const CommandResult pulled =
        site().rsync({"-a", site().remote(""), scratch("root").string() + "/"});
    const CommandResult listed = site().rsync({"--list-only", "-r", site().remote("")});
    spool.release();
    run.join();

    ASSERT_TRUE(waiting) << "the run never reached its spool: " << describe(running);
    ASSERT_EQ(pulled.exit_status, 0) << describe(pulled);
    const RootListing root = list_root(scratch("root"));
    EXPECT_EQ(root.days, std::vector<std::string>{day_one});
    EXPECT_TRUE(root.incoming.empty()) << ::testing::PrintToString(root.incoming);
    EXPECT_EQ(listed.exit_status, 0) << describe(listed);
    EXPECT_EQ(listed.out.find(day_two), std::string::npos) << listed.out;
    EXPECT_EQ(listed.out.find(".incoming"), std::string::npos) << listed.out;
    // What arrived is the whole previous day, as signed.
    const CommandResult sums =
        run_in(scratch("root") / day_one, {"sha256sum", "--check", "--strict", "SHA256SUMS"});
    EXPECT_EQ(sums.exit_status, 0) << describe(sums);
    EXPECT_TRUE(fs::exists(scratch("root") / day_one / "SHA256SUMS.minisig"));

    // The run went on once the spool was free, and published its day whole.
    EXPECT_EQ(running.exit_status, 0) << describe(running);
    EXPECT_TRUE(fs::exists(site().staging_root() / day_two / "SHA256SUMS.minisig"));
}

TEST_F(BackupEndToEnd, ASecondBackupWhileOneRunsIsTurnedAwayBusy) {
    HeldFlock spool(site().spool_lock());
    site().backup_stages(day_one);
    CommandResult first;
    std::thread run([&] { first = site().ssh("backup"); });
    const bool waiting = run_reached_the_spool(day_one);
    // The shell's own backup lock answers first (backup_wait = false): docs/offstage-shell.8.
    const CommandResult second = site().ssh("backup");
    spool.release();
    run.join();

    ASSERT_TRUE(waiting) << "the first run never reached its spool: " << describe(first);
    EXPECT_EQ(second.exit_status, busy_status) << describe(second);
    EXPECT_EQ(second.out, "") << describe(second);
    EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << describe(second);
    EXPECT_NE(second.err.find("another backup is running; try again later"), std::string::npos)
        << describe(second);
    EXPECT_EQ(first.exit_status, 0) << describe(first);
}

TEST_F(BackupEndToEnd, ABackupWhileAnotherRunHoldsTheRunLockExitsBusy) {
    // A run that did not come through the shell (cron's) holds the run lock: the run the
    // provider starts waits its budget ([run] lock_wait = 1), then exits busy, and the shell
    // passes that status on.
    HeldFlock cron_run(site().run_lock());
    const CommandResult busy = backup(day_one);
    EXPECT_EQ(busy.exit_status, busy_status) << describe(busy);
    EXPECT_NE(busy.err.find("another run holds " + site().run_lock().string()), std::string::npos)
        << describe(busy);
    EXPECT_TRUE(fs::is_empty(site().staging_root()));

    cron_run.release();
    const CommandResult after = backup(day_one);
    EXPECT_EQ(after.exit_status, 0) << describe(after);
}

TEST_F(BackupEndToEnd, TheRunsStatusReachesTheProvider) {
    // A spool whose lock is never released within its budget: that source fails, the rest is
    // published, and the run's "degraded" status comes back through ssh.
    HeldFlock spool(site().spool_lock());
    site().write_config(site().run_argv(day_one), 1);
    const CommandResult degraded = site().ssh("backup");
    EXPECT_EQ(degraded.exit_status, degraded_status) << describe(degraded);
    EXPECT_NE(degraded.out.find("spool-mail: failed"), std::string::npos) << describe(degraded);
    EXPECT_TRUE(fs::exists(site().staging_root() / day_one / "SHA256SUMS.minisig"));
    const SentMail mail = SentMail::read(site().last_mail());
    EXPECT_NE(mail.header("Subject").value_or("").find("DEGRADED"), std::string::npos)
        << mail.headers();
}

} // namespace
} // namespace offstage::e2e
