// The Debian package on a fresh Debian 12: built once per CTest run (FreshSystemDeb, a
// fixture that also runs lintian and `systemd-analyze security` on it), then installed with apt
// into a root unpacked from the daily debootstrap tarball, where the tests of FreshSystemHost
// run in order on that one root, each building on the one before:
//   1. apt installs a lower-version build: the pull user, its home and authorized_keys, the
//      staging root, /var/lib/offstage, the sudoers rule, the units (disabled); zero annoying;
//   2. the admin edits offstage.toml, the catalog is at schema 1 (as an older offstage left
//      it), and apt upgrades to this build: the edit is kept, the catalog migrated;
//   3. openssh-server, postgresql, mariadb-server, apache2 and postfix: still zero annoying;
//   4. the root's MariaDB and PostgreSQL servers run, each with a small database, declared in
//      offstage.toml;
//   5. admin files are planted, and the provider's flow runs through sshd inside the root:
//      `ssh backup`, an rsync pull, `offstage verify`, `offstage restore` of one file; the scan
//      reports exactly the planted files outside the expected places;
//   6. a second fresh root is rebuilt from the pulled day and the identity alone and compared,
//      its databases loaded from the day's dumps by the admin guide's commands;
//   7. purge removes what the package made for itself and keeps the backups and the keys.
#include "stager/catalog/catalog_schema.hpp"
#include "tests/fresh-system/fresh_system.hpp"
#include "tests/fresh-system/tree_comparison.hpp"
#include "tests/support/background_command.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <netinet/in.h>
#include <regex>
#include <sys/socket.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;
using fresh::ChrootSystem;
using fresh::deb_directory;
using fresh::listing;
using fresh::paths;
using fresh::Record;
using fresh::tail;

fs::path new_deb() {
    return deb_directory() / "offstage-new.deb";
}
fs::path old_deb() {
    return deb_directory() / "offstage-old.deb";
}

std::string trim(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
        text.pop_back();
    }
    return text;
}

CommandResult shell(const std::string& script, int timeout_seconds = 120) {
    CommandOptions options;
    options.timeout = std::chrono::seconds(timeout_seconds);
    return run_command({"/bin/sh", "-ec", script}, options);
}

// The fixture: the .deb of this source tree, built once per CTest run with
// DEB_BUILD_OPTIONS=nocheck (the unit tests run in the suite itself), and a copy of it with a
// lower version number for the upgrade test.
TEST(FreshSystemDeb, Build) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "the package tests install into a chroot; run them as root";
    }
    ASSERT_TRUE(fs::exists("/usr/bin/dpkg-buildpackage") && fs::exists("/usr/bin/dh"))
        << "building the package needs dpkg-dev and debhelper (tools/debian-packages.txt)";
    fs::remove_all(deb_directory());
    fs::path source = deb_directory() / "src";
    fs::create_directories(source);
    // A copy of the tree without build outputs: dpkg-buildpackage writes its results into the
    // parent of the source directory, and a build must not see this one's build/.
    auto copy = shell("cd '" + std::string(OFFSTAGE_SOURCE_DIR) +
                      "' && tar --exclude='./build*' --exclude=./.git --exclude='./obj-*' "
                      "--exclude=./debian/offstage --exclude=./debian/.debhelper -cf - . | "
                      "tar -C '" +
                      source.string() + "' -xf -");
    ASSERT_EQ(copy.exit_status, 0) << copy.err;

    CommandOptions options;
    options.timeout = std::chrono::seconds(1700);
    options.working_directory = source;
    options.extra_environment["DEB_BUILD_OPTIONS"] =
        "nocheck parallel=" + std::to_string(std::max(1U, std::thread::hardware_concurrency()));
    if (fs::exists("/usr/bin/ccache")) {
        // Only speeds up repeated runs on a developer's machine; CI builds from scratch.
        options.extra_environment["CMAKE_CXX_COMPILER_LAUNCHER"] = "ccache";
        options.extra_environment["CMAKE_C_COMPILER_LAUNCHER"] = "ccache";
    }
    auto start = std::chrono::steady_clock::now();
    auto build = run_command({"dpkg-buildpackage", "-us", "-uc", "-b"}, options);
    ASSERT_EQ(build.exit_status, 0) << tail(build.out) << tail(build.err);
    std::cout << "dpkg-buildpackage took "
              << std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                                  start)
                     .count()
              << " s\n";
    fs::path built;
    for (const auto& entry : fs::directory_iterator(deb_directory())) {
        std::string name = entry.path().filename().string();
        if (name.starts_with("offstage_") && name.ends_with(".deb")) {
            built = entry.path();
        }
    }
    ASSERT_FALSE(built.empty()) << "dpkg-buildpackage made no offstage_*.deb";
    fs::copy_file(built, new_deb());

    // The same package under a lower version ("0~" sorts before any version): an upgrade from
    // it runs every maintainer script path of a real upgrade.
    fs::path unpacked = deb_directory() / "old";
    auto repack = shell("dpkg-deb -R '" + built.string() + "' '" + unpacked.string() +
                        "' && sed -i 's/^Version: /Version: 0~/' '" + unpacked.string() +
                        "/DEBIAN/control' && dpkg-deb --root-owner-group -b '" + unpacked.string() +
                        "' '" + old_deb().string() + "' >/dev/null");
    ASSERT_EQ(repack.exit_status, 0) << repack.err;
    fs::remove_all(unpacked);
    fs::remove_all(source);
}

// lintian on the built package: no errors and no warnings (overrides, each with its reason,
// are in debian/offstage.lintian-overrides).
TEST(FreshSystemDeb, LintianIsClean) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "the package tests run as root";
    }
    ASSERT_TRUE(fs::exists(new_deb())) << "the build failed";
    ASSERT_TRUE(fs::exists("/usr/bin/lintian")) << "lintian is not installed";
    fs::path changes;
    for (const auto& entry : fs::directory_iterator(deb_directory())) {
        if (entry.path().extension() == ".changes") {
            changes = entry.path();
        }
    }
    ASSERT_FALSE(changes.empty());
    CommandOptions options;
    options.timeout = std::chrono::seconds(600);
    auto lintian =
        run_command({"lintian", "--fail-on", "error,warning", changes.string()}, options);
    EXPECT_EQ(lintian.exit_status, 0) << lintian.out << lintian.err;
    EXPECT_FALSE(std::regex_search(lintian.out, std::regex("(^|\n)[EW]: "))) << lintian.out;
    std::cout << "lintian: " << (lintian.out.empty() ? "no tags\n" : lintian.out);
}

// The service's sandboxing, as systemd scores it (lower is better; 10 is no sandboxing).
TEST(FreshSystemDeb, ServiceSandboxing) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "the package tests run as root";
    }
    ASSERT_TRUE(fs::exists(new_deb())) << "the build failed";
    if (!fs::exists("/usr/bin/systemd-analyze")) {
        GTEST_SKIP() << "systemd-analyze is not installed";
    }
    TempDir unpacked("offstage-units");
    auto extract = run_command({"dpkg-deb", "-x", new_deb().string(), unpacked.path().string()});
    ASSERT_EQ(extract.exit_status, 0) << extract.err;
    fs::path unit = unpacked / "lib/systemd/system/offstage.service";
    ASSERT_TRUE(fs::exists(unit));
    ASSERT_TRUE(fs::exists(unpacked / "lib/systemd/system/offstage.timer"));
    auto security = run_command({"systemd-analyze", "security", "--offline=true", unit.string()});
    std::smatch match;
    std::string all = security.out + security.err;
    ASSERT_TRUE(std::regex_search(all, match,
                                  std::regex("Overall exposure level for offstage.service: "
                                             "([0-9.]+)")))
        << all;
    double exposure = std::stod(match[1].str());
    std::cout << "systemd-analyze security offstage.service: " << exposure << "\n";
    EXPECT_LE(exposure, 3.0) << all;
}

// The host the FreshSystemHost tests share, in order.
struct Host {
    std::unique_ptr<ChrootSystem> system;
    std::unique_ptr<TempDir> work; // the provider's side: keys, the pulled tree
    // Declared after the root and the work directory: stopped before either goes.
    std::unique_ptr<fresh::DatabaseServers> databases;
    std::string day;
    std::string failed_step; // set by a step that failed: the later ones cannot run
};
Host* host = nullptr;

// Admin-made files: outside the expected places (annoying), and inside them (backed up
// quietly).
const std::set<std::string> planted_outside = {"/etc/cron.d/site-job", "/var/lib/someapp/state.db"};
const std::set<std::string> planted_inside = {"/usr/local/bin/site-tool", "/srv/www/index.html",
                                              "/opt/vendor/app.conf"};

// What a rebuild cannot reproduce, compared by the rebuild test and excluded from its verdict.
// Each changes on the original after the backup was taken, so the backup holds an older copy:
const std::map<std::string, std::string> not_reproducible = {
    // written by the run after it archived the files, and by each `backup`/pull afterwards
    {"/var/log/offstage/run.log", "the run logs its end after the files are archived"},
    {"/var/log/offstage/shell.log", "offstage-shell logs the pull after the backup"},
    {"/var/log/offstage/receipts", "offstage-shell appends the pull's receipt after the backup"},
    // the catalog records the run that made the backup (the day has the previous copy in
    // catalog.tar.zst.age)
    {"/var/lib/offstage/catalog.sqlite", "updated by the run after its files were archived"},
    {"/var/lib/offstage/catalog.sqlite-wal", "the catalog's write-ahead log"},
    {"/var/lib/offstage/catalog.sqlite-shm", "the catalog's shared-memory index"},
};

class FreshSystemHost : public ::testing::Test {
protected:
    static void SetUpTestSuite() { host = new Host; }
    static void TearDownTestSuite() {
        delete host;
        host = nullptr;
    }
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "the package tests install into a chroot; run them as root";
        }
        ASSERT_FALSE(fresh::built_root().empty())
            << "no root in " << fresh::cache_directory()
            << ": the fresh-system-root fixture did not build it";
        ASSERT_TRUE(fs::exists(new_deb()) && fs::exists(old_deb()))
            << "no packages in " << deb_directory() << ": the fresh-system-deb fixture failed";
        ASSERT_TRUE(host->failed_step.empty())
            << "an earlier step failed (" << host->failed_step << "); this one builds on it";
    }
    // A fatal failure (an ASSERT: a step that did not happen) stops the later steps; a wrong
    // detail (an EXPECT) is reported and the flow goes on.
    void TearDown() override {
        if (HasFatalFailure() && host != nullptr && host->failed_step.empty()) {
            host->failed_step = ::testing::UnitTest::GetInstance()->current_test_info()->name();
        }
    }

    static ChrootSystem& system() { return *host->system; }
    static fs::path at(const std::string& path) { return system().host_path(path); }

    // Runs a script inside, failing the test with its output when it fails.
    static std::string inside(const std::string& script, int timeout_seconds = 300) {
        auto result = system().sh(script, timeout_seconds);
        EXPECT_EQ(result.exit_status, 0) << script << "\n" << tail(result.out) << tail(result.err);
        return result.out;
    }
    static void install_deb(const ChrootSystem& target, const fs::path& deb) {
        fs::copy_file(deb, target.host_path("/tmp/offstage.deb"),
                      fs::copy_options::overwrite_existing);
        auto install = target.apt("install /tmp/offstage.deb");
        fs::remove(target.host_path("/tmp/offstage.deb"));
        ASSERT_EQ(install.exit_status, 0) << tail(install.out) << tail(install.err);
    }
    static std::set<std::string> annoying() { return paths(system().scan(), "member", "annoying"); }
};

TEST_F(FreshSystemHost, AptInstallsTheDeployment) {
    host->system = std::make_unique<ChrootSystem>("fresh-host");
    host->work = std::make_unique<TempDir>("offstage-provider");
    auto update = system().apt("update", 600);
    ASSERT_EQ(update.exit_status, 0) << update.err;
    // A maintained host is up to date (the daily root is as debootstrap left it); a rebuild
    // installs the archive's current versions, so the two can only agree on those.
    auto upgrade = system().apt("upgrade", 900);
    ASSERT_EQ(upgrade.exit_status, 0) << tail(upgrade.out) << tail(upgrade.err);
    install_deb(system(), old_deb());

    // The pull user: password "*", the documented shell and home.
    EXPECT_EQ(trim(inside("getent passwd offstage-pull | cut -d: -f6,7")),
              "/var/lib/offstage-pull:/bin/sh");
    EXPECT_EQ(trim(inside("getent shadow offstage-pull | cut -d: -f2")), "*");
    EXPECT_EQ(trim(inside("id -Gn offstage-pull")), "offstage-pull");
    // A root-owned home and authorized_keys with a commented example line.
    auto owner_mode = [](const std::string& path) {
        return trim(inside("stat -c '%U:%G %a' " + path));
    };
    EXPECT_EQ(owner_mode("/var/lib/offstage-pull"), "root:root 755");
    EXPECT_EQ(owner_mode("/var/lib/offstage-pull/.ssh"), "root:root 755");
    EXPECT_EQ(owner_mode("/var/lib/offstage-pull/.ssh/authorized_keys"), "root:root 644");
    EXPECT_NE(read_file(at("/var/lib/offstage-pull/.ssh/authorized_keys"))
                  .find("\n#restrict,command=\"/usr/sbin/offstage-shell --config "
                        "/etc/offstage/offstage.toml\" "),
              std::string::npos);
    EXPECT_EQ(owner_mode("/srv/offstage"), "root:offstage-pull 750");
    EXPECT_EQ(owner_mode("/srv/offstage.work"), "root:root 700");
    EXPECT_EQ(owner_mode("/var/lib/offstage"), "root:root 700");
    EXPECT_EQ(owner_mode("/var/log/offstage/shell.log"), "root:offstage-pull 620");
    EXPECT_EQ(owner_mode("/var/log/offstage/receipts"), "root:offstage-pull 620");
    // The sudoers rule: exactly `offstage run` as root, and sudo accepts the whole config.
    EXPECT_EQ(owner_mode("/etc/sudoers.d/offstage"), "root:root 440");
    inside("visudo -c -q");
    std::string rules = inside("sudo -l -U offstage-pull");
    EXPECT_NE(rules.find("(root) NOPASSWD: /usr/sbin/offstage run\n"), std::string::npos) << rules;
    EXPECT_EQ(system().sh("runuser -u offstage-pull -- sudo -n /usr/bin/id").exit_status == 0,
              false);
    EXPECT_NE(
        system().sh("runuser -u offstage-pull -- sudo -n /usr/sbin/offstage status").exit_status,
        0);
    // Conffiles: the configuration, the default policies, logrotate.
    std::string conffiles = inside("dpkg-query -W -f='${Conffiles}\\n' offstage");
    for (const char* conffile :
         {"/etc/offstage/offstage.toml", "/etc/offstage/policy.d/10-pseudo-filesystems.policy",
          "/etc/offstage/policy.d/50-debian-generated.policy", "/etc/logrotate.d/offstage"}) {
        EXPECT_NE(conffiles.find(std::string(" ") + conffile + " "), std::string::npos)
            << conffile << " is not a conffile:\n"
            << conffiles;
    }
    // The units ship disabled.
    EXPECT_TRUE(fs::exists(at("/lib/systemd/system/offstage.timer")));
    EXPECT_FALSE(fs::exists(at("/etc/systemd/system/timers.target.wants/offstage.timer")));
    EXPECT_EQ(trim(system().sh("systemctl is-enabled offstage.timer").out), "disabled");
    // Man pages for every command and the configuration files.
    for (const char* page :
         {"man8/offstage.8.gz", "man8/offstage-shell.8.gz", "man8/offstage-restore.8.gz",
          "man5/offstage.toml.5.gz", "man5/offstage-policy.d.5.gz"}) {
        EXPECT_TRUE(fs::exists(at("/usr/share/man/") / page)) << page;
    }
    EXPECT_TRUE(fs::exists(at("/usr/share/doc/offstage/admin-guide.md")));

    auto found = annoying();
    EXPECT_TRUE(found.empty()) << found.size() << " annoying files after installing offstage:\n"
                               << listing(found);
}

TEST_F(FreshSystemHost, UpgradeKeepsTheEditedConffileAndMigratesTheCatalog) {
    // The admin's edit: the recipient of the identity the provider keeps.
    fs::path identity = *host->work / "identity.txt";
    auto keygen = run_command({"age-keygen", "-o", identity.string()});
    ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
    std::smatch match;
    std::string recipient_text = keygen.err + keygen.out;
    ASSERT_TRUE(std::regex_search(recipient_text, match, std::regex("age1[0-9a-z]+")));
    inside("sed -i 's/^recipients = \\[\\]$/recipients = [\"" + match.str() +
           "\"]/' /etc/offstage/offstage.toml && grep -q '^recipients = \\[\"age1' "
           "/etc/offstage/offstage.toml");

    // The catalog as an older offstage left it: schema version 1 (the shipped step, as the
    // catalog tests keep it frozen), with one run that listed one annoying file.
    std::string migration_test =
        read_file(fs::path(OFFSTAGE_SOURCE_DIR) / "tests/catalog/test_catalog_migration.cpp");
    auto begin = migration_test.find("shipped_version_1 = R\"sql(");
    ASSERT_NE(begin, std::string::npos);
    begin = migration_test.find('(', begin) + 1;
    auto end = migration_test.find(")sql\"", begin);
    std::string schema_1 = migration_test.substr(begin, end - begin);
    fs::path catalog = at("/var/lib/offstage/catalog.sqlite");
    CommandOptions sql;
    sql.stdin_data = schema_1 +
                     "INSERT INTO runs VALUES (1, '2026-01-02', 'host', '2026-01-02T03:00:00Z', "
                     "'2026-01-02T03:10:00Z', 'complete', '', '0.0.9');\n"
                     "INSERT INTO annoying_files VALUES (1, CAST('/etc/old-surprise' AS BLOB));\n"
                     "PRAGMA user_version = 1;\n";
    auto create = run_command({"sqlite3", catalog.string()}, sql);
    ASSERT_EQ(create.exit_status, 0) << create.err;
    fs::permissions(catalog, fs::perms(0600));

    install_deb(system(), new_deb());
    std::string version = trim(inside("dpkg-query -W -f='${Version}' offstage"));
    EXPECT_EQ(version.rfind("0~", 0), std::string::npos) << "still the old version: " << version;
    EXPECT_NE(read_file(at("/etc/offstage/offstage.toml")).find("recipients = [\"age1"),
              std::string::npos)
        << "the admin's edit of offstage.toml was not kept";
    EXPECT_FALSE(fs::exists(at("/etc/offstage/offstage.toml.dpkg-dist")));
    EXPECT_FALSE(fs::exists(at("/etc/offstage/offstage.toml.dpkg-new")));
    // postinst migrated the catalog (docs/catalog.md) to the current schema, the old annoying
    // file now one row with its first-seen day.
    auto query = run_command({"sqlite3", catalog.string(),
                              "PRAGMA user_version; SELECT CAST(path AS TEXT), first_seen FROM "
                              "annoying_files;"});
    EXPECT_EQ(query.out, std::to_string(offstage::catalog::schema::current_version) +
                             "\n/etc/old-surprise|2026-01-02\n")
        << query.err;
}

TEST_F(FreshSystemHost, CommonServerPackagesAddNoAnnoyingFiles) {
    auto preseed = system().sh("debconf-set-selections", 60,
                               "postfix postfix/main_mailer_type select Local only\n"
                               "postfix postfix/mailname string fresh.example\n");
    ASSERT_EQ(preseed.exit_status, 0) << preseed.err;
    auto install =
        system().apt("install openssh-server postgresql mariadb-server apache2 postfix", 1800);
    ASSERT_EQ(install.exit_status, 0) << tail(install.out) << tail(install.err);
    auto found = annoying();
    EXPECT_TRUE(found.empty()) << found.size() << " annoying files with the server packages:\n"
                               << listing(found);
}

// The databases of the host: UTF-8 text beyond Latin-1 (and 4-byte characters), bytes that are
// not text, a NULL, and an account with grants, in each server.
const char* const mariadb_seed = R"sql(
SET NAMES utf8mb4;
CREATE DATABASE shop CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE TABLE shop.items (id INT PRIMARY KEY, name VARCHAR(100) NOT NULL, picture BLOB)
    ENGINE=InnoDB;
INSERT INTO shop.items VALUES
    (1, 'pâté en croûte', X'89504E470D0A1A0A0000FF7F80'),
    (2, '日本語 ✓ 🙂', X'00'),
    (3, 'tab\there, a quote '' and a backslash \\', NULL);
CREATE USER 'shopkeeper'@'localhost' IDENTIFIED BY 'counter-secret';
GRANT SELECT, INSERT, UPDATE ON shop.* TO 'shopkeeper'@'localhost';
GRANT DELETE ON shop.items TO 'shopkeeper'@'localhost';
)sql";
const char* const postgresql_seed = R"sql(
CREATE ROLE editor LOGIN PASSWORD 'page-secret';
CREATE DATABASE wiki OWNER editor;
\c wiki
CREATE TABLE pages (id integer PRIMARY KEY, title text NOT NULL, body bytea);
INSERT INTO pages VALUES
    (1, 'Überschrift – naïve café', '\x89504e470d0a1a0a0000ff7f80'),
    (2, '日本語 ✓ 🙂', '\x00'),
    (3, E'tab\there, a quote '' and a backslash \\', NULL);
GRANT SELECT, UPDATE ON pages TO editor;
)sql";

// What the rebuild must give back, read the same way on both hosts: the rows (text and blobs
// in hex, so that no client or collation turns a byte), the accounts with their password
// hashes, and the grants.
const char* const mariadb_state = R"sql(
SELECT id, HEX(name), HEX(picture) FROM shop.items ORDER BY id;
SELECT DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA
    WHERE SCHEMA_NAME = 'shop';
SELECT user, host, plugin, authentication_string FROM mysql.user WHERE user = 'shopkeeper';
SHOW GRANTS FOR 'shopkeeper'@'localhost';
)sql";
const char* const postgresql_state = R"sql(
SELECT id, encode(convert_to(title, 'UTF8'), 'hex'), encode(body, 'hex') FROM pages ORDER BY id;
SELECT pg_get_userbyid(datdba), pg_encoding_to_char(encoding), datcollate FROM pg_database
    WHERE datname = 'wiki';
SELECT rolname, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = 'editor';
SELECT grantee, privilege_type FROM information_schema.role_table_grants
    WHERE table_name = 'pages' ORDER BY 1, 2;
)sql";

// The state of both databases on a host; a failed query fails the test.
struct DatabaseState {
    std::string mariadb;
    std::string postgresql;
    bool operator==(const DatabaseState&) const = default;
};
DatabaseState database_state(const fresh::DatabaseServers& servers) {
    auto mariadb = servers.mariadb(mariadb_state);
    EXPECT_EQ(mariadb.exit_status, 0) << mariadb.err;
    auto postgresql = servers.psql("wiki", postgresql_state);
    EXPECT_EQ(postgresql.exit_status, 0) << postgresql.err;
    return {mariadb.out, postgresql.out};
}

TEST_F(FreshSystemHost, DatabaseServersWithDataAreDeclared) {
    host->databases = std::make_unique<fresh::DatabaseServers>(system(), host->work->path());
    auto mariadb = host->databases->mariadb(mariadb_seed);
    ASSERT_EQ(mariadb.exit_status, 0) << mariadb.err;
    auto postgresql = host->databases->psql("postgres", postgresql_seed);
    ASSERT_EQ(postgresql.exit_status, 0) << postgresql.err;
    // The queries read what was written (hex of 'pâté en croûte', of the blob, the grant).
    DatabaseState seeded_state = database_state(*host->databases);
    std::string state = seeded_state.mariadb + seeded_state.postgresql;
    for (const char* seeded : {"70C3A274C3A920656E2063726FC3BB7465", "89504E470D0A1A0A0000FF7F80",
                               "GRANT DELETE ON `shop`.`items` TO `shopkeeper`@`localhost`",
                               "89504e470d0a1a0a0000ff7f80", "editor|UPDATE"}) {
        EXPECT_NE(state.find(seeded), std::string::npos) << seeded << " not in\n" << state;
    }
    // Declared as offstage.toml(5) shows: MariaDB's root by the unix socket (Debian 12's
    // /etc/mysql/debian.cnf says it is obsolete), the cluster's socket as the postgres user.
    {
        std::ofstream config(at("/etc/offstage/offstage.toml"), std::ios::app);
        config << "\n[mariadb]\nsocket = \"/run/mysqld/mysqld.sock\"\nuser = \"root\"\n"
                  "\n[postgresql]\nos_user = \"postgres\"\nsocket_dir = \"/var/run/postgresql\"\n";
        ASSERT_TRUE(config.good());
    }
    inside("offstage policy check");
}

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    ::close(fd);
    return ntohs(address.sin_port);
}

bool accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

TEST_F(FreshSystemHost, TheProvidersFlow) {
    for (const std::string& path : planted_outside) {
        write_file(at(path), "made by an admin\n");
    }
    for (const std::string& path : planted_inside) {
        write_file(at(path), "site content\n");
    }
    auto found = annoying();
    EXPECT_EQ(found, planted_outside) << "annoying:\n" << listing(found);

    // The provider's key, installed as docs/deployment.md says.
    fs::path key = *host->work / "provider";
    ASSERT_EQ(run_command({"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.string()})
                  .exit_status,
              0);
    {
        std::ofstream keys(at("/var/lib/offstage-pull/.ssh/authorized_keys"), std::ios::app);
        keys << "restrict,command=\"/usr/sbin/offstage-shell --config "
                "/etc/offstage/offstage.toml\" "
             << read_file(key.string() + ".pub");
    }

    // sshd of the root, on a loopback port.
    int port = free_port();
    fs::create_directories(at("/run/sshd"));
    fs::path sshd_log = *host->work / "sshd.log";
    int log_fd = ::open(sshd_log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    ASSERT_GE(log_fd, 0);
    BackgroundCommand sshd({"/usr/sbin/chroot", system().root().string(), "/usr/sbin/sshd", "-D",
                            "-e", "-p", std::to_string(port), "-o", "ListenAddress=127.0.0.1", "-o",
                            "PidFile=none"},
                           -1, log_fd, log_fd);
    ::close(log_fd);
    for (int i = 0; i < 500 && !accepts(port); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(accepts(port)) << read_file(sshd_log);
    std::string ssh_options = "-F /dev/null -i " + key.string() +
                              " -o IdentitiesOnly=yes -o IdentityAgent=none "
                              "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                              "-o GlobalKnownHostsFile=/dev/null -o BatchMode=yes "
                              "-o LogLevel=ERROR -p " +
                              std::to_string(port);
    auto stop_sshd = [&] {
        ::kill(-sshd.pid(), SIGTERM);
        sshd.wait(std::chrono::seconds(10));
    };

    // `backup`: offstage-shell runs sudo -n offstage run, which publishes today.
    auto backup = shell("exec ssh " + ssh_options + " offstage-pull@127.0.0.1 backup", 1200);
    EXPECT_EQ(backup.exit_status, 0) << backup.out << backup.err << "\nsshd:\n"
                                     << read_file(sshd_log) << "\nrun.log:\n"
                                     << tail(read_file(at("/var/log/offstage/run.log")));
    for (const auto& entry : fs::directory_iterator(at("/srv/offstage"))) {
        host->day = entry.path().filename().string();
    }
    ASSERT_FALSE(host->day.empty()) << "nothing published";
    // A refused command: one line, status 77.
    auto refused = shell("exec ssh " + ssh_options + " offstage-pull@127.0.0.1 'cat /etc/shadow'");
    EXPECT_EQ(refused.exit_status, 77) << refused.err;

    // The pull, with the provider's rsync over ssh.
    fs::path pulled = *host->work / "pulled" / host->day;
    fs::create_directories(pulled.parent_path());
    auto pull = shell("exec rsync -a -e 'ssh " + ssh_options +
                          "' offstage-pull@127.0.0.1:" + host->day + "/ " + pulled.string() + "/",
                      600);
    EXPECT_EQ(pull.exit_status, 0) << pull.err;
    stop_sshd();
    ASSERT_TRUE(fs::exists(pulled / "files.tar.zst.age"));

    // The public signing key, as the admin hands it to the provider.
    auto signing = system().sh("offstage key signing");
    ASSERT_EQ(signing.exit_status, 0) << signing.err;
    write_file(*host->work / "signing.pub", signing.out);

    fs::path offstage = built_program("offstage");
    std::string identity = (*host->work / "identity.txt").string();
    std::string pub = (*host->work / "signing.pub").string();
    CommandOptions long_running;
    long_running.timeout = std::chrono::seconds(600);
    auto verify = run_command(
        {offstage.string(), "verify", pulled.string(), "-P", pub, "-i", identity}, long_running);
    EXPECT_EQ(verify.exit_status, 0) << verify.out << verify.err;

    fs::path restored = *host->work / "restored";
    auto restore =
        run_command({offstage.string(), "restore", pulled.string(), "-P", pub, "-i", identity,
                     "--to", restored.string(), "srv/www/index.html", "etc/offstage/offstage.toml"},
                    long_running);
    EXPECT_EQ(restore.exit_status, 0) << restore.out << restore.err;
    EXPECT_EQ(read_file(restored / "srv/www/index.html"), "site content\n");
    EXPECT_EQ(read_file(restored / "etc/offstage/offstage.toml"),
              read_file(at("/etc/offstage/offstage.toml")));
}

TEST_F(FreshSystemHost, RebuildFromThePulledDayAlone) {
    ASSERT_FALSE(host->day.empty());
    fs::path offstage = built_program("offstage");
    fs::path pulled = *host->work / "pulled" / host->day;
    std::string identity = (*host->work / "identity.txt").string();
    std::string pub = (*host->work / "signing.pub").string();
    CommandOptions long_running;
    long_running.timeout = std::chrono::seconds(900);
    auto restore = [&](const fs::path& to, const std::vector<std::string>& extra) {
        std::vector<std::string> argv = {
            offstage.string(), "restore", pulled.string(), "-P", pub, "-i",
            identity,          "--to",    to.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run_command(argv, long_running);
    };

    // The run dumped the databases of step 4: each database, MariaDB's accounts and grants,
    // PostgreSQL's roles, each with its fingerprint.
    for (const char* artifact :
         {"db/mariadb/shop.sql.zst.age", "db/mariadb/shop.fingerprint.zst.age",
          "db/mariadb/users.sql.zst.age", "db/postgresql/globals.sql.zst.age",
          "db/postgresql/wiki.pgdump.zst.age", "db/postgresql/wiki.fingerprint.zst.age",
          "db/postgresql/postgres.pgdump.zst.age"}) {
        EXPECT_TRUE(fs::exists(pulled / artifact)) << artifact << " is not in the pulled day";
    }

    // 1. The system artifact: selections, debconf, apt sources, the full scan report.
    fs::path saved = *host->work / "system";
    auto system_restore = restore(saved, {"--artifact", "system.tar.zst.age"});
    ASSERT_EQ(system_restore.exit_status, 0) << system_restore.out << system_restore.err;

    // 2. A second fresh root of the same release; the users first, so that the packages'
    //    maintainer scripts find them and the uids stay those of the original.
    ChrootSystem rebuilt("fresh-rebuild");
    auto users = restore(rebuilt.root(), {"etc/passwd", "etc/group", "etc/shadow", "etc/gshadow"});
    ASSERT_EQ(users.exit_status, 0) << users.out << users.err;
    fs::copy_file(saved / "apt/sources.list", rebuilt.host_path("/etc/apt/sources.list"),
                  fs::copy_options::overwrite_existing);
    ASSERT_EQ(rebuilt.apt("update", 600).exit_status, 0);

    // 3. The same packages: offstage from its .deb (it is in no archive), debconf's answers,
    //    then dpkg's selections through apt.
    install_deb(rebuilt, new_deb());
    auto debconf = rebuilt.sh("debconf-set-selections", 120,
                              read_file(saved / "packages/debconf-selections.txt"));
    EXPECT_EQ(debconf.exit_status, 0) << debconf.err;
    auto selections = rebuilt.sh("apt-cache dumpavail > /tmp/available && dpkg --merge-avail "
                                 "/tmp/available >/dev/null && rm /tmp/available && "
                                 "dpkg --set-selections",
                                 300, read_file(saved / "packages/dpkg-selections.txt"));
    ASSERT_EQ(selections.exit_status, 0) << selections.err;
    auto install = rebuilt.apt("dselect-upgrade", 1800);
    ASSERT_EQ(install.exit_status, 0) << tail(install.out) << tail(install.err);

    // The same packages, in the same versions, installed (before the files: the files artifact
    // holds dpkg's database, whose restore would make the rebuild's list equal by copying).
    std::string query =
        "dpkg-query -W -f='${db:Status-Abbrev} ${Package}:${Architecture} ${Version}\\n' | "
        "grep '^ii '";
    auto original_packages = system().sh(query);
    auto rebuilt_packages = rebuilt.sh(query);
    EXPECT_EQ(original_packages.out, rebuilt_packages.out);
    EXPECT_GT(original_packages.out.size(), 10000U) << original_packages.err;

    // 4. The files, over the installed packages, by the rebuilt host's own offstage: the
    //    restore gives files their owners by name (as tar does) through the user database of
    //    the system it runs on, which must be the rebuilt one, restored in step 2.
    fs::path input = rebuilt.host_path("/tmp/restore-input");
    fs::create_directories(input);
    auto copy = run_command({"cp", "-a", pulled.string(), identity, pub, input.string()});
    ASSERT_EQ(copy.exit_status, 0) << copy.err;
    auto files = rebuilt.sh("offstage restore /tmp/restore-input/" + host->day +
                                " -P /tmp/restore-input/signing.pub -i "
                                "/tmp/restore-input/identity.txt --to /",
                            900);
    EXPECT_EQ(files.exit_status, 0) << tail(files.out) << tail(files.err);

    // The comparison: every member of the original's backup (from the scan report it saved).
    std::set<std::string> members;
    for (const Record& record : fresh::parse_records(read_file(saved / "scan/selection.nul"))) {
        if (record.kind == "member") {
            members.insert(record.path);
        }
    }
    auto comparison = fresh::compare_trees(system().root(), rebuilt.root(), members);
    std::cout << "rebuild: " << comparison.figures() << "\n";
    std::size_t documented = 0;
    for (const auto& difference : comparison.differences) {
        if (auto why = not_reproducible.find(difference.path); why != not_reproducible.end()) {
            std::cout << "  documented: " << difference.path << " (" << difference.reason
                      << "): " << why->second << "\n";
            ++documented;
        } else {
            ADD_FAILURE() << difference.path << " differs in the rebuild: " << difference.reason;
        }
    }
    std::cout << "rebuild: " << documented << " documented differences, "
              << comparison.differences.size() - documented << " others\n";
    EXPECT_GT(comparison.compared, 1000U);

    // 5. The databases: the rebuilt host's servers, started as the original's were, get the
    //    dumps by the commands of admin-guide.md (section 9, "5. On the new host"), run as
    //    written there; then the same queries on both hosts must read the same.
    ASSERT_TRUE(host->databases) << "the original's servers do not run";
    fs::path rebuilt_logs = *host->work / "rebuilt-logs";
    fs::create_directories(rebuilt_logs);
    std::string guide = read_file(fs::path(OFFSTAGE_SOURCE_DIR) / "docs/admin-guide.md");
    const std::string fence = "```sh\n# 5. On the new host, its database servers running";
    auto begin = guide.find(fence);
    ASSERT_NE(begin, std::string::npos) << "admin-guide.md has no block starting " << fence;
    begin += std::string("```sh\n").size();
    auto end = guide.find("\n```\n", begin);
    ASSERT_NE(end, std::string::npos);
    std::string commands = guide.substr(begin, end - begin + 1);
    {
        fresh::DatabaseServers servers(rebuilt, rebuilt_logs);
        write_file(rebuilt.host_path("/tmp/restore-databases.sh"),
                   "DAY=/tmp/restore-input/" + host->day + " ID=/tmp/restore-input/identity.txt\n" +
                       commands);
        auto load = rebuilt.sh("exec bash /tmp/restore-databases.sh", 900);
        EXPECT_EQ(load.exit_status, 0) << commands << "\n" << tail(load.out) << tail(load.err);
        EXPECT_FALSE(fs::exists(rebuilt.host_path("/root/restore.cnf")));
        DatabaseState original_state = database_state(*host->databases);
        DatabaseState rebuilt_state = database_state(servers);
        EXPECT_EQ(original_state.mariadb, rebuilt_state.mariadb);
        EXPECT_EQ(original_state.postgresql, rebuilt_state.postgresql);
        auto figures = [](const std::string& before, const std::string& after) {
            return std::to_string(std::count(before.begin(), before.end(), '\n')) + " lines, " +
                   (before == after ? "equal" : "different");
        };
        std::cout << "rebuild databases (rows in hex, owner and encoding, accounts with their "
                     "password hashes, grants): mariadb "
                  << figures(original_state.mariadb, rebuilt_state.mariadb) << "; postgresql "
                  << figures(original_state.postgresql, rebuilt_state.postgresql) << "\n";
        // The temporary account of the guide's commands is gone again.
        auto accounts = servers.mariadb("SELECT COUNT(*) FROM mysql.user WHERE user = "
                                        "'offstage_restore';");
        EXPECT_EQ(accounts.out, "0\n") << accounts.err;
    }
    fs::remove_all(input);
    fs::remove(rebuilt.host_path("/tmp/restore-databases.sh"));

    // Nothing annoying the original did not have.
    auto original_annoying = annoying();
    auto rebuilt_scan = rebuilt.scan();
    std::set<std::string> new_annoying;
    for (const std::string& path : paths(rebuilt_scan, "member", "annoying")) {
        if (original_annoying.count(path) == 0) {
            new_annoying.insert(path);
        }
    }
    EXPECT_TRUE(new_annoying.empty()) << "annoying only in the rebuild:\n" << listing(new_annoying);
}

TEST_F(FreshSystemHost, PurgeKeepsTheBackupsAndTheKeysAndSaysSo) {
    ASSERT_FALSE(host->day.empty());
    auto purge = system().apt("purge offstage");
    ASSERT_EQ(purge.exit_status, 0) << purge.out << purge.err;
    std::string said = purge.out + purge.err;
    EXPECT_NE(said.find("purge keeps /srv/offstage"), std::string::npos) << said;
    EXPECT_NE(said.find("purge keeps /var/lib/offstage"), std::string::npos) << said;
    // Kept: the staged backups, the signing key, the catalog, the user.
    EXPECT_TRUE(fs::exists(at("/srv/offstage") / host->day / "SHA256SUMS"));
    EXPECT_TRUE(fs::exists(at("/var/lib/offstage/signing.key")));
    EXPECT_TRUE(fs::exists(at("/var/lib/offstage/catalog.sqlite")));
    EXPECT_EQ(system().sh("getent passwd offstage-pull").exit_status, 0);
    // Gone: what the package made for itself.
    for (const char* gone :
         {"/etc/sudoers.d/offstage", "/etc/offstage", "/var/log/offstage", "/var/lib/offstage-pull",
          "/etc/logrotate.d/offstage", "/usr/sbin/offstage"}) {
        EXPECT_FALSE(fs::exists(at(gone))) << gone << " is left after purge";
    }
    inside("visudo -c -q");
}

} // namespace
} // namespace offstage::test
