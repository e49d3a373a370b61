// The default policy files shipped in policies/default: they parse, and they decide the paths
// of a Debian host as their comments say. (tests/fresh-system checks them against a real
// debootstrapped Debian 12.)
#include "policies/policy_set.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>

namespace offstage::policies {
namespace {

const std::filesystem::path default_directory =
    std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "policies" / "default";

class DefaultPolicies : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        policies_ = new PolicySet(PolicySet::load_directory(default_directory));
    }
    static void TearDownTestSuite() {
        delete policies_;
        policies_ = nullptr;
    }
    static std::string decide(std::string_view path, bool is_directory = false) {
        const Rule* rule = policies_->match(path, is_directory);
        return rule == nullptr ? "annoying" : std::string(to_string(rule->verdict));
    }
    static PolicySet* policies_;
};

PolicySet* DefaultPolicies::policies_ = nullptr;

TEST_F(DefaultPolicies, ParseWithoutErrors) {
    auto errors = PolicySet::check_directory(default_directory);
    for (const auto& error : errors) {
        ADD_FAILURE() << error.what();
    }
    EXPECT_GT(policies_->rules().size(), 50U);
}

TEST_F(DefaultPolicies, EveryRuleHasACommentSayingWhy) {
    // Each rule is in a block of rules right below a comment line.
    for (const auto& entry : std::filesystem::directory_iterator(default_directory)) {
        std::ifstream in(entry.path());
        std::string line;
        bool commented = false;
        unsigned number = 0;
        while (std::getline(in, line)) {
            ++number;
            if (line.empty()) {
                commented = false;
            } else if (line.front() == '#') {
                commented = true;
            } else {
                EXPECT_TRUE(commented) << entry.path() << ":" << number << ": " << line;
            }
        }
    }
}

TEST_F(DefaultPolicies, ExcludeRegenerableState) {
    for (const char* path : {"/proc/1/status",
                             "/sys/kernel/mm",
                             "/dev/null",
                             "/run/systemd/journal/socket",
                             "/tmp/x",
                             "/var/tmp/y",
                             "/var/cache/apt/archives/bash_5.2_amd64.deb",
                             "/var/cache/debconf/config.dat",
                             "/var/lib/apt/lists/deb.debian.org_Packages",
                             "/usr/lib/python3/dist-packages/__pycache__/six.cpython-311.pyc",
                             "/srv/app/__pycache__/x.cpython-311.pyc",
                             "/usr/local/lib/old.pyc",
                             "/usr/share/mime/mime.cache",
                             "/usr/share/mime/text/plain.xml",
                             "/etc/ssl/certs/4042bcee.0",
                             "/etc/ssl/certs/ISRG_Root_X1.pem",
                             "/etc/ssl/certs/ca-certificates.crt",
                             "/etc/ld.so.cache",
                             "/etc/mtab",
                             "/usr/lib/udev/hwdb.bin",
                             "/usr/share/info/dir",
                             "/var/lib/dpkg/lock-frontend",
                             "/usr/lib/modules/6.1.0-18-amd64/modules.dep",
                             "/boot/initrd.img-6.1.0-18-amd64",
                             "/usr/lib/x86_64-linux-gnu/gio/modules/giomodule.cache",
                             "/usr/share/icons/hicolor/icon-theme.cache"}) {
        EXPECT_EQ(decide(path), "exclude") << path;
    }
    for (const char* directory : {"/proc", "/sys", "/dev", "/run", "/tmp", "/var/tmp", "/var/cache",
                                  "/var/lib/apt/lists"}) {
        const Rule* rule = policies_->subtree_rule(directory);
        ASSERT_NE(rule, nullptr) << directory << " is not pruned";
        EXPECT_EQ(rule->verdict, Verdict::exclude) << directory;
    }
}

TEST_F(DefaultPolicies, ExpectWhatMaintainerScriptsGenerate) {
    for (const char* path : {"/etc/passwd",
                             "/etc/passwd-",
                             "/etc/group",
                             "/etc/group-",
                             "/etc/shadow",
                             "/etc/shadow-",
                             "/etc/gshadow",
                             "/etc/gshadow-",
                             "/etc/ssh/ssh_host_ed25519_key",
                             "/etc/ssh/ssh_host_rsa_key.pub",
                             "/etc/machine-id",
                             "/etc/hostname",
                             "/etc/hosts",
                             "/etc/fstab",
                             "/etc/timezone",
                             "/etc/localtime",
                             "/etc/default/locale",
                             "/etc/locale.gen",
                             "/etc/alternatives/editor",
                             "/var/lib/dpkg/status",
                             "/var/lib/dpkg/diversions",
                             "/var/lib/dpkg/statoverride",
                             "/var/lib/dpkg/alternatives/editor",
                             "/var/lib/ucf/registry",
                             "/etc/rc2.d/S01ssh",
                             "/etc/systemd/system/multi-user.target.wants/ssh.service",
                             "/etc/ssl/certs/ssl-cert-snakeoil.pem"}) {
        EXPECT_EQ(decide(path), "expect") << path;
    }
}

// Alternatives links (/usr/bin/vi, its man pages) and ucf-managed files (/etc/ssh/sshd_config)
// are expected through dpkg's alternatives database and ucf's registry, which the selection
// reads (tests/selection); no default rule stands in for them, so a link the database does not
// name is still reported.
TEST_F(DefaultPolicies, LeaveAlternativesLinksAndUcfFilesToTheirDatabases) {
    for (const char* path : {"/etc/ssh/sshd_config", "/usr/bin/vi", "/usr/share/man/man1/vi.1.gz",
                             "/usr/share/man/de/man1/vi.1.gz"}) {
        EXPECT_EQ(decide(path), "annoying") << path;
    }
}

TEST_F(DefaultPolicies, ExpectLocalContent) {
    for (const char* path : {"/home/alice/notes.txt", "/root/.bashrc", "/srv/www/index.html",
                             "/usr/local/bin/tool", "/opt/vendor/bin/app", "/var/mail/alice",
                             "/var/spool/cron/crontabs/root", "/var/log/syslog"}) {
        EXPECT_EQ(decide(path), "expect") << path;
    }
    // Byte-code caches are excluded inside them too, so their subtrees are not decided
    // wholesale by the expect rules.
    EXPECT_EQ(decide("/home/alice/src/__pycache__/x.cpython-311.pyc"), "exclude");
    EXPECT_EQ(policies_->subtree_rule("/home"), nullptr);
    EXPECT_EQ(decide("/home/alice/src/x.py"), "expect");
}

TEST_F(DefaultPolicies, AdminFilesElsewhereStayAnnoying) {
    // What the fresh-system test plants outside the expected places: a human should decide.
    for (const char* path : {"/etc/cron.d/backup-db", "/etc/default/myapp", "/usr/lib/myapp.so",
                             "/var/lib/someapp/state.db", "/etc/systemd/system/myapp.service",
                             "/etc/apt/sources.list.d/vendor.list", "/usr/bin/hand-copied",
                             "/etc/ssl/private/site.key", "/usr/share/mime/packages/local.xml",
                             "/etc/ssh/sshd_config.d/local.conf", "/etc/ssl/certs/java/x"}) {
        EXPECT_EQ(decide(path), "annoying") << path;
    }
}

} // namespace
} // namespace offstage::policies
