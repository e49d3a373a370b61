// docs/deployment.md checked on a real account: a dedicated pull user created with the
// commands the document gives, logging in through sshd with the forced key, reading the
// staging tree and nothing else. Needs root (useradd, sshd switching users).
#include "tests/e2e/sample_staging_tree.hpp"
#include "tests/e2e/shell_deployment.hpp"
#include "tests/e2e/tree_snapshot.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace offstage::e2e {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using Tree = SampleStagingTree;

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

        ShellDeployment::Options options;
        options.shell_program = shell;
        options.login_user = user_;
        site_ = std::make_unique<ShellDeployment>(dir, options);

        // docs/deployment.md, "Filesystem permissions".
        const std::string staging = site_->staging_root().string();
        setup_command({"chown", "-R", "root:" + user_, staging});
        setup_command({"chmod", "-R", "u=rwX,g=rX,o=", staging});
        setup_command(
            {"install", "-d", "-o", "root", "-g", user_, "-m", "0770", (dir / "run").string()});
        setup_command({"install", "-o", "root", "-g", user_, "-m", "0620", "/dev/null",
                       site_->shell_log().string()});
        // What lies outside the staging root is the host's, not the pull user's.
        fs::permissions(site_->outside(), fs::perms(0700));
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
    test::TempDir client("offstage-e2e-client");
    const CommandResult pull = site_->rsync(
        {"-a", site_->remote(std::string(Tree::day) + "/"), client.path().string() + "/day/"});
    ASSERT_EQ(pull.exit_status, 0) << describe(pull);
    const std::vector<std::string> differences =
        TreeSnapshot::of(site_->staging_root() / Tree::day)
            .differences_to(TreeSnapshot::of(client.path() / "day"));
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);

    const TreeSnapshot before = TreeSnapshot::of(site_->staging_root());
    const fs::path local = test::write_file(client / "evil.txt", "planted\n");
    const CommandResult upload =
        site_->rsync({local.string(), site_->remote(std::string(Tree::day) + "/")});
    EXPECT_NE(upload.exit_status, 0) << describe(upload);
    EXPECT_TRUE(before.differences_to(TreeSnapshot::of(site_->staging_root())).empty());

    // The OS confinement the shell relies on, as the user itself sees it.
    const fs::path day = site_->staging_root() / Tree::day;
    EXPECT_EQ(as_user(user_, {"test", "-r", (day / "report.json").string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", day.string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", site_->staging_root().string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", (day / "report.json").string()}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"test", "-w", home_.string()}).exit_status, 0);
    const CommandResult secret =
        as_user(user_, {"cat", (site_->outside() / Tree::secret_name).string()});
    EXPECT_NE(secret.exit_status, 0);
    EXPECT_EQ(secret.out, "");
}

TEST_F(DeploymentWithAPullUser, ThePullUserRunsBackupAndItsDecisionsAreLogged) {
    const CommandResult backup = site_->ssh("backup");
    EXPECT_EQ(backup.exit_status, 0) << describe(backup);
    EXPECT_NE(backup.out.find("backup: staged"), std::string::npos) << describe(backup);
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
    if (!fs::exists("/usr/bin/sudo")) {
        GTEST_SKIP() << "sudo is not installed: the sudoers rule of docs/deployment.md "
                        "section 3 cannot be checked";
    }
    // docs/deployment.md section 3, with this test's user and its stand-in for
    // `/usr/sbin/offstage run`: the rule names one argument, so it allows only that one.
    const std::string script = site_->backup_script().string();
    const std::string rule = user_ + " ALL=(root) NOPASSWD: " + script + " run\n";
    const fs::path draft =
        test::write_file(directory_->path() / "sudoers-draft", rule, fs::perms(0440));
    // A broken file in /etc/sudoers.d breaks sudo for the whole host: validate it first.
    const CommandResult valid = test::run_command({"visudo", "-c", "-f", draft.string()});
    ASSERT_EQ(valid.exit_status, 0) << describe(valid);
    // sudo ignores names with a dot in /etc/sudoers.d.
    sudoers_file_ = "/etc/sudoers.d/offstage-e2e-" + std::to_string(::getpid());
    fs::copy_file(draft, sudoers_file_);
    fs::permissions(sudoers_file_, fs::perms(0440));
    site_->write_config({"/usr/bin/sudo", "-n", script, "run"});

    const CommandResult backup = site_->ssh("backup");
    EXPECT_EQ(backup.exit_status, 0) << describe(backup);
    EXPECT_NE(backup.out.find("backup: staged"), std::string::npos) << describe(backup);
    EXPECT_NE(backup.err.find("from uid 0, arguments: run"), std::string::npos) << describe(backup);

    // Nothing else through that rule: not other arguments, not another command.
    EXPECT_NE(as_user(user_, {"sudo", "-n", script, "run", "--now"}).exit_status, 0);
    EXPECT_NE(as_user(user_, {"sudo", "-n", script}).exit_status, 0);
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
    const CommandResult backup = ssh("backup");
    EXPECT_EQ(backup.exit_status, 0) << describe(backup) << sshd.log();
    EXPECT_NE(backup.out.find("backup: staged"), std::string::npos) << describe(backup);
}

} // namespace
} // namespace offstage::e2e
