// offstage-shell end to end: Debian's sshd with a key forced to the built offstage-shell, and
// the real ssh and rsync clients doing what a provider (or an attacker holding the key) does.
// The shell's path rules are tried on a hand-made tree (SampleStagingTree: odd names, a symlink
// out of the root, a .incoming dir inside it); `backup` itself, the real `offstage run`, is
// tried in test_e2e_backup.cpp.
#include "tests/e2e/sample_staging_tree.hpp"
#include "tests/e2e/shell_deployment.hpp"
#include "tests/e2e/tree_snapshot.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <string>
#include <vector>

namespace offstage::e2e {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::TempDir;
using Tree = SampleStagingTree;

constexpr int refused_status = 77;
constexpr int config_error_status = 78;

// What the real rsync 3.5.0 client sends for `rsync -a host:2026-11-22/ dst`
// (tests/forced-shell/rsync-client-corpus.txt), and its receiver twin for an upload.
const std::string pull_flags = "-logDtpre.iLsfxCIvu";
const std::string pull_day = "rsync --server --sender " + pull_flags + " . 2026-11-22/";
const std::string upload_day = "rsync --server " + pull_flags + " . 2026-11-22/";

std::string describe(const CommandResult& result) {
    return "exit status " + std::to_string(result.exit_status) + "\n--- stdout:\n" + result.out +
           "\n--- stderr:\n" + result.err;
}

// The shell's contract for a refusal as the provider sees it through ssh: status 77, nothing
// on stdout, exactly one non-empty line on stderr.
void expect_refused(const CommandResult& result, const std::string& command) {
    SCOPED_TRACE("remote command: " + command);
    EXPECT_EQ(result.exit_status, refused_status) << describe(result);
    EXPECT_EQ(result.out, "") << describe(result);
    EXPECT_GT(result.err.size(), 1U) << describe(result);
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << describe(result);
    EXPECT_TRUE(!result.err.empty() && result.err.back() == '\n') << describe(result);
}

// True when any file below `root` has the secret's bytes or name: it got out.
bool holds_secret(const fs::path& root) {
    if (!fs::exists(root)) {
        return false;
    }
    const TreeSnapshot tree = TreeSnapshot::of(root);
    for (const auto& [path, entry] : tree.entries()) {
        if (entry.content == Tree::secret_content ||
            fs::path(path).filename() == Tree::secret_name) {
            return true;
        }
    }
    return false;
}

std::size_t count_files(const fs::path& root) {
    if (!fs::exists(root)) {
        return 0;
    }
    std::size_t files = 0;
    const TreeSnapshot tree = TreeSnapshot::of(root);
    for (const auto& [path, entry] : tree.entries()) {
        files += entry.type == 'f' ? 1 : 0;
    }
    return files;
}

class ForcedShellEndToEnd : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        try {
            directory_ = std::make_unique<TempDir>("offstage-e2e");
            const test::TinyDebianRoot& root = test::TinyDebianRoot::shared();
            ShellDeployment::Options options;
            options.shell_program = test::built_program("offstage-shell");
            options.offstage_program = test::built_program("offstage");
            options.scan = {root.root(), root.admindir(), root.policy_dir()};
            options.sample_tree = true;
            site_ = std::make_unique<ShellDeployment>(directory_->path(), options);
        } catch (const std::exception& error) {
            setup_error_ = error.what();
        }
    }
    static void TearDownTestSuite() {
        site_.reset(); // stops sshd before its directory goes
        directory_.reset();
    }
    void SetUp() override {
        ASSERT_TRUE(site_) << "the end-to-end deployment did not start: " << setup_error_;
        scratch_ = std::make_unique<TempDir>("offstage-e2e-client");
    }
    void TearDown() override {
        if (HasFailure() && site_) {
            std::cerr << "--- sshd log:\n" << site_->sshd().log() << "--- shell log:\n";
            std::ifstream log(site_->shell_log());
            std::cerr << log.rdbuf() << "---\n";
        }
    }

    ShellDeployment& site() { return *site_; }
    fs::path scratch(const std::string& name) const { return scratch_->path() / name; }
    // A destination directory string for rsync, with the trailing slash it wants.
    std::string destination(const std::string& name) const { return scratch(name).string() + "/"; }

    static std::unique_ptr<TempDir> directory_;
    static std::unique_ptr<ShellDeployment> site_;
    static std::string setup_error_;
    std::unique_ptr<TempDir> scratch_;
};

std::unique_ptr<TempDir> ForcedShellEndToEnd::directory_;
std::unique_ptr<ShellDeployment> ForcedShellEndToEnd::site_;
std::string ForcedShellEndToEnd::setup_error_;

TEST_F(ForcedShellEndToEnd, PullOfADayArrivesByteIdentical) {
    const CommandResult pull =
        site().rsync({"-a", site().remote(std::string(Tree::day) + "/"), destination("day")});
    ASSERT_EQ(pull.exit_status, 0) << describe(pull);

    const TreeSnapshot original = TreeSnapshot::of(site().staging_root() / Tree::day);
    const TreeSnapshot copy = TreeSnapshot::of(scratch("day"));
    const std::vector<std::string> differences = original.differences_to(copy);
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
    // The awkward names are in the comparison, not silently skipped on both sides.
    EXPECT_TRUE(copy.contains(Tree::name_with_spaces()));
    EXPECT_TRUE(copy.contains("extra/" + Tree::non_utf8_name()));
    EXPECT_TRUE(copy.contains("db/postgresql/16/main/globals.sql.zst.age"));
    ASSERT_TRUE(copy.contains(Tree::large_artifact()));
    EXPECT_EQ(copy.entries().at(Tree::large_artifact()).content.size(), Tree::large_size);

    // And the stock tool agrees, from the SHA256SUMS that travelled with the day.
    test::CommandOptions in_copy;
    in_copy.working_directory = scratch("day");
    const CommandResult check =
        test::run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_copy);
    EXPECT_EQ(check.exit_status, 0) << describe(check);
}

TEST_F(ForcedShellEndToEnd, PullOfOneArtifactByAnAwkwardNameArrivesByteIdentical) {
    // rsync 3.2.4+ sends the space and the non-UTF-8 bytes backslash-escaped or raw; either way
    // the shell must hand rsync the exact name.
    for (const std::string& name : {Tree::name_with_spaces(), "extra/" + Tree::non_utf8_name()}) {
        SCOPED_TRACE(name);
        const CommandResult pull = site().rsync(
            {"-a", site().remote(std::string(Tree::day) + "/" + name), destination("one")});
        ASSERT_EQ(pull.exit_status, 0) << describe(pull);
        const fs::path arrived = scratch("one") / fs::path(name).filename();
        ASSERT_TRUE(fs::exists(arrived)) << describe(pull);
        EXPECT_EQ(test::read_file(arrived),
                  test::read_file(site().staging_root() / Tree::day / name));
    }
}

// A provider that keeps its old copies (rsync -b with --backup-dir or --suffix): the client,
// as receiver, makes the backups; the server, as sender, only passes the values on.
TEST_F(ForcedShellEndToEnd, PullsThatKeepOldCopiesSucceed) {
    const TreeSnapshot before = TreeSnapshot::of(site().staging_root());
    const std::string day = site().remote(std::string(Tree::day) + "/");
    const CommandResult first = site().rsync({"-a", day, destination("day")});
    ASSERT_EQ(first.exit_status, 0) << describe(first);
    const std::string sums = test::read_file(scratch("day") / "SHA256SUMS");

    test::write_file(scratch("day") / "SHA256SUMS", "the provider's copy, edited once\n");
    const CommandResult kept_in_dir =
        site().rsync({"-a", "--backup", "--backup-dir=old", day, destination("day")});
    ASSERT_EQ(kept_in_dir.exit_status, 0) << describe(kept_in_dir);
    EXPECT_EQ(test::read_file(scratch("day") / "SHA256SUMS"), sums);
    EXPECT_EQ(test::read_file(scratch("day") / "old" / "SHA256SUMS"),
              "the provider's copy, edited once\n");

    test::write_file(scratch("day") / "SHA256SUMS", "the provider's copy, edited twice\n");
    const CommandResult kept_with_suffix =
        site().rsync({"-a", "-b", "--suffix=.old", day, destination("day")});
    ASSERT_EQ(kept_with_suffix.exit_status, 0) << describe(kept_with_suffix);
    EXPECT_EQ(test::read_file(scratch("day") / "SHA256SUMS"), sums);
    EXPECT_EQ(test::read_file(scratch("day") / "SHA256SUMS.old"),
              "the provider's copy, edited twice\n");

    const std::vector<std::string> differences =
        before.differences_to(TreeSnapshot::of(site().staging_root()));
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
}

TEST_F(ForcedShellEndToEnd, UploadIsRefusedAndWritesNothing) {
    const TreeSnapshot before = TreeSnapshot::of(site().staging_root());
    const fs::path local = test::write_file(scratch("upload/evil.txt"), "planted by an upload\n");

    for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
             {local.string(), site().remote("")},
             {local.string(), site().remote(std::string(Tree::day) + "/")},
             {"-a", scratch("upload").string() + "/", site().remote(std::string(Tree::day) + "/")},
             {"-a", "--delete", scratch("upload").string() + "/", site().remote(Tree::day)}}) {
        SCOPED_TRACE(::testing::PrintToString(args));
        const CommandResult upload = site().rsync(args);
        EXPECT_NE(upload.exit_status, 0) << describe(upload);
    }
    // What such an upload sends, straight through ssh: a refusal by the shell itself.
    expect_refused(site().ssh(upload_day), upload_day);

    const std::vector<std::string> differences =
        before.differences_to(TreeSnapshot::of(site().staging_root()));
    EXPECT_TRUE(differences.empty()) << ::testing::PrintToString(differences);
}

TEST_F(ForcedShellEndToEnd, CommandsOtherThanBackupAndAPullAreRefused) {
    for (const std::string& command : {
             std::string("cat /etc/passwd"),
             std::string("rsync --server . /tmp"),
             std::string("backup; id"),
             std::string("id"),
             std::string("sh"),
             std::string("/bin/sh -c id"),
             std::string("scp -f /etc/passwd"),
             std::string("BACKUP"),
             std::string(" backup"),
             std::string("backup now"),
             std::string("VAR=x backup"),
             std::string("env backup"),
             std::string("/usr/bin/rsync --server --sender " + pull_flags + " . 2026-11-22/"),
             std::string("rsync --server --sender " + pull_flags + " . /etc/"),
             std::string("rsync --server --sender " + pull_flags + " . ../outside/"),
             std::string("rsync --server --sender " + pull_flags + " . 2026-11-22/../../"),
             std::string("rsync --server --sender " + pull_flags + " --rsh=sh . 2026-11-22/"),
             std::string("rsync --daemon --config=/tmp/x.conf"),
         }) {
        expect_refused(site().ssh(command), command);
    }
}

TEST_F(ForcedShellEndToEnd, ShellMetacharactersAreNeverInterpreted) {
    const fs::path marker = scratch("marker");
    const std::string touch = "touch " + marker.string();
    for (const std::string& command : {
             "backup; " + touch,
             "backup && " + touch,
             "backup | " + touch,
             "backup\n" + touch,
             "$(" + touch + ")",
             "`" + touch + "`",
             pull_day + ";" + touch,
             pull_day + " $(" + touch + ")",
         }) {
        SCOPED_TRACE(command);
        const CommandResult result = site().ssh(command);
        // Refused, or at most a literal (missing) path for rsync; never run.
        EXPECT_NE(result.exit_status, 0) << describe(result);
        EXPECT_FALSE(fs::exists(marker)) << describe(result);
    }
}

TEST_F(ForcedShellEndToEnd, HiddenWorkDirIsRefused) {
    const std::string work = Tree::work_dir;
    for (const std::string& path :
         {work + "/", work + "/" + Tree::large_artifact(),
          std::string(Tree::day) + "/../" + work + "/", "/" + work + "/", "./" + work}) {
        SCOPED_TRACE(path);
        const CommandResult pull = site().rsync({"-a", site().remote(path), destination("work")});
        EXPECT_NE(pull.exit_status, 0) << describe(pull);
        EXPECT_EQ(count_files(scratch("work")), 0U) << describe(pull);
    }
    const std::string direct = "rsync --server --sender " + pull_flags + " . " + work + "/";
    expect_refused(site().ssh(direct), direct);
}

TEST_F(ForcedShellEndToEnd, PullOfTheWholeRootLeavesOutTheWorkDir) {
    for (const std::string& root : {std::string(""), std::string("/")}) {
        SCOPED_TRACE("remote path '" + root + "'");
        fs::remove_all(scratch("root"));
        const CommandResult pull = site().rsync({"-a", site().remote(root), destination("root")});
        ASSERT_EQ(pull.exit_status, 0) << describe(pull);
        const TreeSnapshot copy = TreeSnapshot::of(scratch("root"));
        EXPECT_TRUE(copy.contains(std::string(Tree::day) + "/" + Tree::large_artifact()));
        for (const auto& [path, entry] : copy.entries()) {
            EXPECT_EQ(path.find(".incoming"), std::string::npos) << path;
        }
        EXPECT_FALSE(holds_secret(scratch("root")));
    }
    const CommandResult listing = site().rsync({"--list-only", site().remote("")});
    EXPECT_EQ(listing.exit_status, 0) << describe(listing);
    EXPECT_NE(listing.out.find(Tree::day), std::string::npos) << describe(listing);
    EXPECT_EQ(listing.out.find(".incoming"), std::string::npos) << describe(listing);
}

TEST_F(ForcedShellEndToEnd, SymlinkOutOfTheRootIsNotFollowed) {
    const std::string link = std::string(Tree::day) + "/" + Tree::link_out;
    // Through the link, by name: refused.
    for (const std::string& path : {link + "/", link + "/" + Tree::secret_name}) {
        SCOPED_TRACE(path);
        const CommandResult pull = site().rsync({"-a", site().remote(path), destination("via")});
        EXPECT_NE(pull.exit_status, 0) << describe(pull);
    }
    // Asking the sender to follow links: refused.
    for (const char* option :
         {"-L", "--copy-links", "--copy-unsafe-links", "-k", "--copy-dirlinks"}) {
        SCOPED_TRACE(option);
        const CommandResult pull = site().rsync(
            {"-a", option, site().remote(std::string(Tree::day) + "/"), destination("follow")});
        EXPECT_NE(pull.exit_status, 0) << describe(pull);
    }
    EXPECT_FALSE(holds_secret(scratch("via")));
    EXPECT_FALSE(holds_secret(scratch("follow")));

    // A plain pull carries the link as a link, never what it points at.
    const CommandResult pull =
        site().rsync({"-a", site().remote(std::string(Tree::day) + "/"), destination("day")});
    ASSERT_EQ(pull.exit_status, 0) << describe(pull);
    EXPECT_TRUE(fs::is_symlink(scratch("day") / Tree::link_out));
    EXPECT_FALSE(holds_secret(scratch("day")));
}

TEST_F(ForcedShellEndToEnd, ProtectArgsPullIsRefusedWithAMessage) {
    for (const char* option : {"-s", "--protect-args", "--secluded-args"}) {
        SCOPED_TRACE(option);
        const CommandResult pull = site().rsync(
            {"-a", option, site().remote(std::string(Tree::day) + "/"), destination("s")});
        EXPECT_NE(pull.exit_status, 0) << describe(pull);
        // The shell's line tells the provider what to change (forced-shell's option table).
        EXPECT_NE(pull.err.find("pull without -s"), std::string::npos) << describe(pull);
        EXPECT_EQ(count_files(scratch("s")), 0U);
    }
}

TEST_F(ForcedShellEndToEnd, EveryDecisionIsLoggedWithTheClientAddress) {
    const auto lines = [&] {
        std::vector<std::string> found;
        std::ifstream log(site().shell_log());
        for (std::string line; std::getline(log, line);) {
            found.push_back(line);
        }
        return found;
    };
    const std::size_t before = lines().size();
    const CommandResult refused = site().ssh("cat /etc/passwd");
    const CommandResult listing = site().rsync({"--list-only", site().remote("")});
    EXPECT_EQ(listing.exit_status, 0) << describe(listing);
    const std::vector<std::string> after = lines();
    ASSERT_GE(after.size(), before + 2) << "the shell log should have a line per decision";
    const auto logged = [&](const std::vector<std::string>& words) {
        return std::any_of(after.begin() + static_cast<std::ptrdiff_t>(before), after.end(),
                           [&](const std::string& line) {
                               return std::all_of(words.begin(), words.end(),
                                                  [&](const std::string& word) {
                                                      return line.find(word) != std::string::npos;
                                                  });
                           });
    };
    // The refusal, with its client address; the pull, with the client address and rsync's
    // exit status (docs/offstage-shell.8 has the line format).
    EXPECT_TRUE(logged({"refused", "127.0.0.1", "cat /etc/passwd"}))
        << ::testing::PrintToString(after);
    EXPECT_TRUE(logged({"127.0.0.1", "--list-only", "status=0"}))
        << ::testing::PrintToString(after);
    EXPECT_EQ(refused.exit_status, refused_status) << describe(refused);
}

TEST(ForcedShellEndToEndConfig, MissingConfigRefusesEverything) {
    // The same key, forced to a config file that does not exist: nothing may be allowed.
    TempDir directory("offstage-e2e-noconfig");
    SshdServer::Options options;
    options.directory = directory.path();
    options.forced_command = test::built_program("offstage-shell").string() + " --config " +
                             (directory.path() / "missing.toml").string();
    SshdServer sshd(options);
    for (const std::string& command : {pull_day, std::string("backup")}) {
        SCOPED_TRACE(command);
        std::vector<std::string> argv = sshd.ssh_argv();
        argv.push_back(sshd.destination());
        argv.push_back(command);
        const CommandResult result = test::run_command(argv);
        EXPECT_EQ(result.exit_status, config_error_status) << describe(result);
        EXPECT_EQ(result.out, "") << describe(result);
        EXPECT_NE(result.err.find("missing.toml"), std::string::npos) << describe(result);
    }
}

} // namespace
} // namespace offstage::e2e
