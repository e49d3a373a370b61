// docs/deployment.md checked on a real account: a dedicated pull user created with the
// commands the document gives, logging in through sshd with the forced key, reading the trees
// the real `offstage run` published and nothing else, and running `backup` as root through the
// documented sudoers rule. Needs root (useradd, sshd switching users, sudo).
#include "tests/e2e/shell_deployment.hpp"
#include "tests/e2e/tree_snapshot.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace offstage::e2e {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;

// A day the tests stage as root (as cron runs `offstage run`) before the pull user pulls it.
constexpr const char* staged_day = "2026-11-22";

std::string describe(const CommandResult& result) {
    return "exit status " + std::to_string(result.exit_status) + "\n--- stdout:\n" + result.out +
           "\n--- stderr:\n" + result.err;
}

// Runs a command; useradd, usermod and userdel lock /etc/passwd and fail at once when another
// test (ctest -j) holds the lock, so those are retried for a few seconds.
CommandResult run_retrying_on_lock(const std::vector<std::string>& argv) {
    CommandResult result;
    for (int attempt = 0; attempt < 40; ++attempt) {
        result = test::run_command(argv);
        if (result.exit_status == 0 || result.err.find("lock") == std::string::npos) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return result;
}

// Runs one of the document's setup commands; any failure stops the test with its output.
void setup_command(const std::vector<std::string>& argv) {
    const CommandResult result = run_retrying_on_lock(argv);
    if (result.exit_status != 0) {
        throw std::runtime_error(::testing::PrintToString(argv) + ": " + describe(result));
    }
}

// Today, local time: the day `offstage run` stages without --day.
std::string today() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char day[16];
    std::strftime(day, sizeof day, "%Y-%m-%d", &local);
    return day;
}

// `runuser -u USER -- ARGV...`: what the pull user itself may do on this host.
CommandResult as_user(const std::string& user, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"runuser", "-u", user, "--"});
    return test::run_command(argv);
}

class DeploymentWithAPullUser : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "creating the pull user and letting sshd switch to it needs root";
        }
        user_ = "ostg-e2e-" + std::to_string(::getpid());
        directory_ = std::make_unique<test::TempDir>("offstage-e2e-deploy");
        const fs::path& dir = directory_->path();
        // The pull user must be able to walk down to its files (mkdtemp makes 0700).
        fs::permissions(dir, fs::perms(0755));
        home_ = dir / "home";

        // docs/deployment.md, "The pull user", with the user's paths of this test.
        setup_command({"useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
                       home_.string(), "--shell", "/bin/sh", user_});
        user_created_ = true;
        setup_command({"usermod", "--password", "*", user_});
        setup_command({"install", "-d", "-o", "root", "-g", "root", "-m", "0755", home_.string()});

        // Installed like the package installs it: root-owned, world-executable.
        const fs::path shell = dir / "sbin" / "offstage-shell";
        fs::create_directories(shell.parent_path());
        fs::copy_file(test::built_program("offstage-shell"), shell);
        fs::permissions(shell, fs::perms(0755));

        const test::TinyDebianRoot& root = test::TinyDebianRoot::shared();
        ShellDeployment::Options options;
        options.shell_program = shell;
        options.offstage_program = test::built_program("offstage");
        options.scan = {root.root(), root.admindir(), root.policy_dir()};
        options.login_user = user_;
        // docs/deployment.md: published trees belong to the pull user's group ([staging] group).
        options.pull_group = user_;
        site_ = std::make_unique<ShellDeployment>(dir, options);

        // docs/deployment.md, "Filesystem permissions".
        const std::string staging = site_->staging_root().string();
        setup_command({"chown", "-R", "root:" + user_, staging});
        setup_command({"chmod", "-R", "u=rwX,g=rX,o=", staging});
        setup_command(
            {"install", "-d", "-o", "root", "-g", user_, "-m", "0770", (dir / "run").string()});
        setup_command({"install", "-o", "root", "-g", user_, "-m", "0620", "/dev/null",
                       site_->shell_log().string()});
    }

    // docs/deployment.md section 3, with this test's user and paths: `backup` runs
    // `sudo -n OFFSTAGE --config CONFIG run`, and sudoers allows exactly that command with exactly
    // those arguments. Returns false (the caller skips) where sudo is not installed.
    bool allow_backup_through_sudo() {
        if (!fs::exists("/usr/bin/sudo")) {
            return false;
        }
        const std::string rule = user_ + " ALL=(root) NOPASSWD: " + run_command_line() + "\n";
        const fs::path draft =
            test::write_file(directory_->path() / "sudoers-draft", rule, fs::perms(0440));
        // A broken file in /etc/sudoers.d breaks sudo for the whole host: validate it first.
        const CommandResult valid = test::run_command({"visudo", "-c", "-f", draft.string()});
        if (valid.exit_status != 0) {
            throw std::runtime_error("visudo -c: " + describe(valid));
        }
        // sudo ignores names with a dot in /etc/sudoers.d.
        sudoers_file_ = "/etc/sudoers.d/offstage-e2e-" + std::to_string(::getpid());
        fs::copy_file(draft, sudoers_file_);
        fs::permissions(sudoers_file_, fs::perms(0440));
        std::vector<std::string> command{"/usr/bin/sudo", "-n"};
        const std::vector<std::string> run = site_->run_argv();
        command.insert(command.end(), run.begin(), run.end());
        site_->write_config(command);
        return true;
    }

    // "OFFSTAGE --config CONFIG run", as sudoers names the command.
    std::string run_command_line() const {
        std::string line;
        for (const std::string& word : site_->run_argv()) {
            line += (line.empty() ? "" : " ") + word;
        }
        return line;
    }

    // `offstage-shell --check` of this deployment, as docs/deployment.md section 5 runs it.
    std::vector<std::string> check_argv() const {
        return {(directory_->path() / "sbin" / "offstage-shell").string(),
                "--check",
                "--config",
                site_->config_file().string(),
                "--authorized-keys",
                (directory_->path() / "sshd" / "authorized_keys").string()};
    }

    void TearDown() override {
        if (HasFailure() && site_) {
            std::cerr << "--- sshd log:\n" << site_->sshd().log() << "---\n";
        }
        site_.reset();
        if (!sudoers_file_.empty()) {
            std::error_code ignored;
            fs::remove(sudoers_file_, ignored);
        }
        if (user_created_) {
            // sshd's session processes for the user can outlive sshd by a moment (they are
            // ending when it stops): give them that moment, then end them, then remove the user.
            CommandResult removed;
            for (int attempt = 0; attempt < 20; ++attempt) {
                removed = run_retrying_on_lock({"userdel", user_});
                if (removed.exit_status == 0 ||
                    removed.err.find("currently used by process") == std::string::npos) {
                    break;
                }
                if (attempt >= 4) {
                    test::run_command({"pkill", "-KILL", "-u", user_});
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(250));
            }
            EXPECT_EQ(removed.exit_status, 0) << "userdel " << user_ << ": " << removed.err;
        }
        directory_.reset();
    }

    std::string user_;
    fs::path home_;
    bool user_created_ = false;
    fs::path sudoers_file_; // installed by a test; removed in TearDown
    std::unique_ptr<test::TempDir> directory_;
    std::unique_ptr<ShellDeployment> site_;
};

TEST_F(DeploymentWithAPullUser, ThePullUserPullsTheDayAndCanWriteNothing) {
    // The host's cron stages the day (as root); the pull user reads it through the shell.
    const CommandResult staged = site_->offstage({"run", "--day", staged_day});
    ASSERT_EQ(staged.exit_status, 0) << describe(staged);
    test::TempDir client("offstage-e2e-client");
    const CommandResult pull = site_->rsync(
        {"-a", site_->remote(std::string(staged_day) + "/"), client.path().string() + "/day/"});
    ASSERT_EQ(pull.exit_status, 0) << describe(pull);
    const std::vector<std::string> differences =
        TreeSnapshot::of(site_->staging_root() / staged_day)
            .differences_to(TreeSnapshot::of(client.path() / "day"));
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);

    const TreeSnapshot before = TreeSnapshot::of(site_->staging_root());
    const fs::path local = test::write_file(client / "evil.txt", "planted\n");
    const CommandResult upload =
        site_->rsync({local.string(), site_->remote(std::string(staged_day) + "/")});
    EXPECT_NE(upload.exit_status, 0) << describe(upload);
    EXPECT_TRUE(before.differences_to(TreeSnapshot::of(site_->staging_root())).empty());

    // The OS confinement the shell relies on, as the user itself sees it.
    const fs::path day = site_->staging_root() / staged_day;
    EXPECT_EQ(as_user(user_, {"test", "-r", (day / "report.json").string()}).exit_status, 0);
    EXPECT_EQ(as_user(user_, {"test", "-r", (day / "files.tar.zst.age").string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", day.string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", site_->staging_root().string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", (day / "report.json").string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", home_.string()}).exit_status, 0);
    // Nor the host's secrets beside it: the signing key the run made, the run's work root.
    const CommandResult secret = as_user(user_, {"cat", site_->signing_key().string()});
    EXPECT_NE(secret.exit_status, 0);
    EXPECT_EQ(secret.out, "");
    EXPECT_NE(as_user(user_, {"ls", site_->work_root().string()}).exit_status, 0);
}

TEST_F(DeploymentWithAPullUser, ThePullUserRunsBackupAndItsDecisionsAreLogged) {
    if (!allow_backup_through_sudo()) {
        GTEST_SKIP() << "sudo is not installed: backup cannot run as root for the pull user";
    }
    const CommandResult backup = site_->ssh("backup");
    EXPECT_EQ(backup.exit_status, 0) << describe(backup);
    EXPECT_NE(backup.out.find(today()), std::string::npos) << describe(backup);
    const CommandResult refused = site_->ssh("cat /etc/shadow");
    EXPECT_EQ(refused.exit_status, 77) << describe(refused);
    EXPECT_EQ(refused.out, "");

    // The log file is append-only for the user in practice (0620, root-owned): it cannot
    // read it back, yet every decision reached it.
    const std::string log = test::read_file(site_->shell_log());
    EXPECT_NE(log.find("backup"), std::string::npos) << log;
    EXPECT_NE(log.find("cat /etc/shadow"), std::string::npos) << log;
    EXPECT_NE(as_user(user_, {"cat", site_->shell_log().string()}).exit_status, 0);
}

TEST_F(DeploymentWithAPullUser, TheShellsOwnCheckPassesAndCatchesAWritableRoot) {
    const CommandResult as_pull_user = as_user(user_, check_argv());
    EXPECT_EQ(as_pull_user.exit_status, 0) << describe(as_pull_user);
    EXPECT_EQ(as_pull_user.out.find("FAIL"), std::string::npos) << describe(as_pull_user);
    // A staging root the pull user could write is exactly what the check exists to catch.
    fs::permissions(site_->staging_root(), fs::perms::group_write, fs::perm_options::add);
    const CommandResult writable = as_user(user_, check_argv());
    fs::permissions(site_->staging_root(), fs::perms::group_write, fs::perm_options::remove);
    EXPECT_NE(writable.exit_status, 0) << describe(writable);
    EXPECT_NE(writable.out.find("FAIL"), std::string::npos) << describe(writable);
}

TEST_F(DeploymentWithAPullUser, BackupRunsAsRootThroughTheDocumentedSudoersRule) {
    if (!allow_backup_through_sudo()) {
        GTEST_SKIP() << "sudo is not installed: the sudoers rule of docs/deployment.md "
                        "section 3 cannot be checked";
    }
    // The real `offstage run`, as root through sudo, started by the pull user's `backup`.
    const CommandResult backup = site_->ssh("backup");
    ASSERT_EQ(backup.exit_status, 0) << describe(backup);
    EXPECT_NE(backup.out.find(today()), std::string::npos) << describe(backup);
    // It published today's tree for the pull user's group, which the pull user then pulls.
    const fs::path day = site_->staging_root() / today();
    struct stat info {};
    ASSERT_EQ(::stat((day / "SHA256SUMS.minisig").c_str(), &info), 0);
    EXPECT_EQ(info.st_uid, 0U);
    EXPECT_EQ(as_user(user_, {"test", "-r", (day / "SHA256SUMS.minisig").string()}).exit_status, 0);
    test::TempDir client("offstage-e2e-client");
    const CommandResult pull =
        site_->rsync({"-a", site_->remote(today() + "/"), client.path().string() + "/day/"});
    ASSERT_EQ(pull.exit_status, 0) << describe(pull);
    test::CommandOptions in_copy;
    in_copy.working_directory = client.path() / "day";
    const CommandResult sums =
        test::run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_copy);
    EXPECT_EQ(sums.exit_status, 0) << describe(sums);

    // Nothing else through that rule: not other arguments, not another command.
    std::vector<std::string> other_day{"sudo", "-n"};
    for (const std::string& word : site_->run_argv("2026-01-01")) {
        other_day.push_back(word);
    }
    EXPECT_NE(as_user(user_, other_day).exit_status, 0);
    EXPECT_NE(as_user(user_, {"sudo", "-n", site_->offstage_program().string(), "run"}).exit_status,
              0);
    EXPECT_NE(as_user(user_, {"sudo", "-n", site_->offstage_program().string(), "--config",
                              site_->run_config().string(), "key", "signing"})
                  .exit_status,
              0);
    EXPECT_NE(as_user(user_, {"sudo", "-n", "/usr/bin/id"}).exit_status, 0);
}

TEST_F(DeploymentWithAPullUser, TheSshdMatchBlockForcesTheShellOnAKeyWithoutCommand) {
    // docs/deployment.md section 2's optional sshd_config block, on its own: a key line with
    // `restrict` but no command= must still land in offstage-shell, never in a shell.
    const std::string shell = (directory_->path() / "sbin" / "offstage-shell").string();
    test::TempDir sshd_directory("offstage-e2e-match");
    fs::permissions(sshd_directory.path(), fs::perms(0755));
    SshdServer::Options options;
    options.directory = sshd_directory.path();
    options.forced_command = "";
    options.login_user = user_;
    options.extra_config = "Match User " + user_ +
                           "\n"
                           "    AuthenticationMethods publickey\n"
                           "    ForceCommand " +
                           shell + " --config " + site_->config_file().string() +
                           "\n"
                           "    PermitTTY no\n"
                           "    AllowTcpForwarding no\n"
                           "    AllowAgentForwarding no\n"
                           "    X11Forwarding no\n"
                           "    PermitTunnel no\n"
                           "    PermitUserRC no\n";
    SshdServer sshd(options);
    ASSERT_EQ(sshd.authorized_keys_line().find("command="), std::string::npos);

    const auto ssh = [&](const std::string& command) {
        std::vector<std::string> argv = sshd.ssh_argv();
        argv.push_back(sshd.destination());
        argv.push_back(command);
        return test::run_command(argv);
    };
    const CommandResult refused = ssh("id");
    EXPECT_EQ(refused.exit_status, 77) << describe(refused) << sshd.log();
    EXPECT_EQ(refused.out, "") << describe(refused);
    if (!allow_backup_through_sudo()) {
        GTEST_SKIP() << "sudo is not installed: backup cannot run as root for the pull user";
    }
    const CommandResult backup = ssh("backup");
    EXPECT_EQ(backup.exit_status, 0) << describe(backup) << sshd.log();
    EXPECT_NE(backup.out.find(today()), std::string::npos) << describe(backup);
}

} // namespace
} // namespace offstage::e2e
