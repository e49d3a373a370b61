// A freshly installed Debian 12, scanned by the real `offstage scan` with the default policies:
// it must report zero annoying files; admin-made files outside the expected places must be
// exactly the annoying ones; admin content in /srv, /home, /usr/local and /opt is backed up
// without being annoying; and an edited conffile is reported as modified.
//
// Why this root: debootstrap's default variant installs the packages of priority required and
// important, which is what Debian's installer puts on a machine before tasksel (minbase leaves
// out systemd, cron, ifupdown, logrotate..., whose maintainer scripts generate exactly the
// files the default policies must expect). On top of it: openssh-server, which every offstage
// host runs (the provider pulls over SSH; it brings host keys and a ucf-managed sshd_config),
// and locales, which the installer configures. It takes one to three minutes, once a day: the
// FreshSystemRoot test (a CTest FIXTURES_SETUP) caches the tree as a tarball in the build
// directory, keyed by the date; each scan test unpacks a fresh copy.
#include "tests/fresh-system/fresh_system.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

using fresh::cache_directory;
using fresh::cached_root;
using fresh::listing;
using fresh::paths;
using fresh::Record;
using fresh::suite;
using fresh::tail;
using fresh::unmount_below;

const char* const extra_packages = "openssh-server,locales";

// The fixture: builds today's root once; later runs of the same day reuse it.
TEST(FreshSystemRoot, Build) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "debootstrap needs root (chroot, mknod, chown); run the fresh-system "
                        "tests as root";
    }
    fs::path cache = cached_root();
    if (fs::exists(cache)) {
        GTEST_SUCCEED() << "reusing " << cache;
        return;
    }
    ASSERT_TRUE(fs::exists("/usr/sbin/debootstrap"))
        << "the fresh-system test needs Debian's debootstrap package";
    std::string mirror = fresh::mirror_for(suite);
    ASSERT_FALSE(mirror.empty()) << "no 'deb' source for suite " << suite
                                 << " in /etc/apt/sources.list or /etc/apt/sources.list.d: the "
                                    "test uses the mirror apt on this machine is configured with";

    fs::create_directories(cache_directory());
    // Yesterday's roots are stale: keep only the one of today.
    for (const auto& entry : fs::directory_iterator(cache_directory())) {
        // apt-archives: the downloads the package tests share, valid across days.
        if (entry.path() != cache && entry.path().filename() != "apt-archives") {
            fs::remove_all(entry.path());
        }
    }
    fs::path target = cache_directory() / ("debootstrap-" + std::to_string(::getpid()));
    CommandOptions long_running;
    long_running.timeout = std::chrono::seconds(1100);
    auto bootstrap =
        run_command({"/usr/sbin/debootstrap", "--include=" + std::string(extra_packages), suite,
                     target.string(), mirror},
                    long_running);
    unmount_below(target);
    if (bootstrap.exit_status != 0) {
        std::string log;
        try {
            log = read_file(target / "debootstrap/debootstrap.log");
        } catch (const std::exception&) {
        }
        fs::remove_all(target);
        FAIL() << "debootstrap " << suite << " from " << mirror << " exited with "
               << bootstrap.exit_status << "\n"
               << tail(bootstrap.err) << "\n"
               << tail(log);
    }
    fs::path partial = cache.string() + ".partial";
    auto pack = run_command({"tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
                             "--zstd", "-C", target.string(), "-cf", partial.string(), "."},
                            long_running);
    fs::remove_all(target);
    ASSERT_EQ(pack.exit_status, 0) << "tar of the debootstrapped root: " << pack.err;
    fs::rename(partial, cache); // whole or not at all: a later run never sees half a root
}

class FreshSystemScan : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (::geteuid() != 0 || fresh::built_root().empty()) {
            return; // each test skips or fails with the reason
        }
        root_directory_ = new TempDir("offstage-fresh-system");
        auto unpack = run_command({"tar", "--numeric-owner", "--xattrs", "--xattrs-include=*",
                                   "--acls", "--zstd", "-C", root_directory_->path().string(),
                                   "-xpf", fresh::built_root().string()});
        if (unpack.exit_status != 0) {
            unpack_error_ = "tar -x " + fresh::built_root().string() + ": " + unpack.err;
        }
    }
    static void TearDownTestSuite() {
        delete root_directory_;
        root_directory_ = nullptr;
    }

    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "the fresh system is built and unpacked as root; run as root";
        }
        ASSERT_FALSE(fresh::built_root().empty())
            << "no root in " << cache_directory()
            << ": the fresh-system-root fixture did not build it";
        ASSERT_TRUE(unpack_error_.empty()) << unpack_error_;
    }

    static fs::path root() { return root_directory_->path(); }

    // Runs the real scan with the default policies of the source tree.
    static std::vector<Record> scan() {
        TempDir config_directory("offstage-fresh-config");
        // An empty configuration: nothing of this machine's /etc/offstage may leak in.
        fs::path config = write_file(config_directory / "offstage.toml", "");
        CommandOptions options;
        options.timeout = std::chrono::seconds(300);
        auto result = run_command(
            {built_program("offstage").string(), "--config", config.string(), "scan", "--root",
             root().string(), "--admindir", (root() / "var/lib/dpkg").string(), "--policy-dir",
             (fs::path(OFFSTAGE_SOURCE_DIR) / "policies" / "default").string(), "--format", "null"},
            options);
        EXPECT_EQ(result.exit_status, 0) << result.err;
        return fresh::parse_records(result.out);
    }

    static TempDir* root_directory_;
    static std::string unpack_error_;
};

TempDir* FreshSystemScan::root_directory_ = nullptr;
std::string FreshSystemScan::unpack_error_;

TEST_F(FreshSystemScan, DefaultPoliciesReportNoAnnoyingFiles) {
    std::vector<Record> records = scan();
    auto annoying = paths(records, "member", "annoying");
    EXPECT_TRUE(annoying.empty()) << annoying.size() << " annoying files on a fresh Debian 12:\n"
                                  << listing(annoying);
    // The scan did real work: generated files are in the backup set as expected ones...
    auto expected = paths(records, "member", "expected");
    for (const char* path :
         {"/etc/passwd", "/etc/shadow", "/etc/hostname", "/etc/machine-id",
          "/etc/ssh/ssh_host_ed25519_key", "/var/lib/dpkg/status", "/etc/ssh/sshd_config"}) {
        EXPECT_EQ(expected.count(path), 1U) << path << " is not an expected member";
    }
    // ...package files are not in it, and every conffile is, untouched.
    std::set<std::string> members;
    for (const Record& record : records) {
        if (record.kind == "member") {
            members.insert(record.path);
        }
    }
    for (const char* path : {"/usr/bin/dpkg", "/usr/bin/bash", "/usr/sbin/sshd",
                             "/usr/share/doc/openssh-server/copyright"}) {
        EXPECT_EQ(members.count(path), 0U) << path << " is a package file";
    }
    auto conffiles = paths(records, "member", "conffile");
    EXPECT_GT(conffiles.size(), 50U);
    EXPECT_EQ(conffiles.count("/etc/bash.bashrc"), 1U);
    auto modified = paths(records, "conffile", "modified");
    EXPECT_TRUE(modified.empty()) << "modified conffiles on a fresh system:\n" << listing(modified);
    // Nothing regenerable made it in.
    for (const std::string& path : members) {
        EXPECT_FALSE(path.starts_with("/var/cache/") || path.starts_with("/proc/") ||
                     path.starts_with("/dev/") || path.starts_with("/var/lib/apt/lists/") ||
                     path == "/etc/ld.so.cache")
            << path;
    }
    std::set<std::string> problems;
    for (const Record& record : records) {
        if (record.kind == "problem") {
            problems.insert(record.path + ": " + record.detail);
        }
    }
    EXPECT_TRUE(problems.empty()) << listing(problems);
}

TEST_F(FreshSystemScan, PlantedFilesAndAnEditedConffile) {
    const std::set<std::string> outside = {
        "/etc/cron.d/offstage-test-job", "/etc/default/offstage-test",
        "/usr/lib/offstage-test/plugin.so", "/var/lib/someapp/state.db"};
    const std::set<std::string> inside = {"/srv/www/index.html", "/home/alice/notes.txt",
                                          "/usr/local/bin/site-tool", "/opt/vendor/app.conf"};
    for (const std::string& path : outside) {
        write_file(root() / path.substr(1), "made by an admin\n");
    }
    for (const std::string& path : inside) {
        write_file(root() / path.substr(1), "site content\n");
    }
    const std::string conffile = "/etc/bash.bashrc";
    {
        std::ofstream edit(root() / conffile.substr(1), std::ios::app);
        edit << "alias ll='ls -l'\n";
        ASSERT_TRUE(edit.good());
    }

    std::vector<Record> records = scan();
    auto annoying = paths(records, "member", "annoying");
    EXPECT_EQ(annoying, outside) << "annoying:\n" << listing(annoying);
    auto expected = paths(records, "member", "expected");
    for (const std::string& path : inside) {
        EXPECT_EQ(expected.count(path), 1U) << path << " is not backed up as expected content";
    }
    auto modified = paths(records, "conffile", "modified");
    EXPECT_EQ(modified, std::set<std::string>{conffile}) << listing(modified);
    EXPECT_EQ(paths(records, "member", "conffile").count(conffile), 1U);
}

} // namespace
} // namespace offstage::test
