// The MariaDB source and drill end to end: `offstage run` (the built binary, on the tiny dpkg
// root) dumps a seeded server's databases, `offstage drill` restores them into fresh servers and
// finds every table equal, and the test compares original and restored with its own queries
// (also for a dump tool without --system=users, and a server whose default is latin1). A
// dump under concurrent writes matches its fingerprint exactly; every failure (wrong password,
// a killed or truncating dump, a server that is down, a tampered day) gives its documented
// result, and never costs the last good artifact.
#include "stager/age/identity.hpp"
#include "stager/drill/mariadb_drill.hpp"
#include "stager/restore/day_directory.hpp"
#include "stager/sources/databases/mariadb_fingerprint.hpp"
#include "stager/staging/artifact_writer.hpp"
#include "tests/databases/mariadb_fixture.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/processes.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <iterator>
#include <memory>
#include <sstream>
#include <sys/stat.h>
#include <thread>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::built_program;
using offstage::test::command_line;
using offstage::test::CommandResult;
using offstage::test::processes_mentioning;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::SeededMariadb;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

class MariadbRun : public ::testing::Test {
protected:
    TempDir dir{"offstage-mariadb"};
    fs::path staging = dir / "srv/offstage";
    fs::path identity = dir / "identity.txt";
    std::string recipient;
    drill::MariadbServer* server = nullptr;

    void SetUp() override {
        std::string why;
        server = SeededMariadb::shared(why);
        if (server == nullptr) {
            if (!SeededMariadb::installed()) {
                GTEST_SKIP() << why;
            }
            FAIL() << "the seeded MariaDB server did not start: " << why;
        }
        fs::create_directories(staging);
        auto made = run_command({"age-keygen", "-o", identity.string()});
        ASSERT_EQ(made.exit_status, 0) << made.err;
        recipient = run_command({"age-keygen", "-y", identity.string()}).out;
        recipient.erase(recipient.find_last_not_of('\n') + 1);
        write_config("");
    }

    // offstage.toml with a [mariadb] section; `mariadb_extra` adds or overrides its keys.
    void write_config(const std::string& mariadb_extra,
                      const std::string& connection = std::string()) {
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        std::string connection_keys =
            connection.empty() ? "socket = \"" + server->socket().string() + "\"\nuser = \"root\"\n"
                               : connection;
        write_file(dir / "offstage.toml",
                   "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                       (dir / "state/signing.key").string() + "\"\nkeep = 3\n[run]\nlock = \"" +
                       (dir / "run.lock").string() + "\"\nlock_wait = 1\nstate_dir = \"" +
                       (dir / "state").string() + "\"\nlog_file = \"" + (dir / "run.log").string() +
                       "\"\nsyslog = false\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                       (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                       root.root().string() + "\"\nadmindir = \"" + root.admindir().string() +
                       "\"\npolicy_dir = \"" + root.policy_dir().string() +
                       "\"\n[encryption]\nrecipients = [\"" + recipient +
                       "\"]\n[mail]\nrecipients = []\n[mariadb]\n" + connection_keys +
                       "databases = [\"shop\", \"wiki\"]\n" + mariadb_extra);
    }

    CommandResult offstage(std::vector<std::string> args) const {
        args.insert(args.begin(), {built_program("offstage").string(), "--config",
                                   (dir / "offstage.toml").string()});
        offstage::test::CommandOptions options;
        options.timeout = std::chrono::seconds(600);
        return run_command(args, options);
    }
    CommandResult run(const std::string& day) const { return offstage({"run", "--day", day}); }
    CommandResult drill(const std::string& day, std::vector<std::string> more = {}) const {
        std::vector<std::string> args{"drill", day, "-i", identity.string()};
        args.insert(args.end(), more.begin(), more.end());
        return offstage(args);
    }

    std::string decrypt(const fs::path& artifact) const {
        auto out = run_command({"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc", "sh",
                                identity.string(), artifact.string()});
        EXPECT_EQ(out.exit_status, 0) << out.err;
        return out.out;
    }

    // The run's log and the server's, for a failed run's message: a server that died mid-dump
    // says why only in its own log.
    std::string logs() const {
        return read_file(dir / "run.log") + "\nthe server's error log:\n" +
               server->error_log_tail();
    }

    ino_t inode(const fs::path& path) const {
        struct stat info {};
        EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
        return info.st_ino;
    }
};

// The test's own view of a database, independent of the fingerprint code.
std::string own_view(const drill::MariadbServer& server) {
    return SeededMariadb::sql(
        server,
        "SELECT id, HEX(name), price, IFNULL(HEX(note), 'null') FROM shop.items ORDER BY id;\n"
        "SELECT id, IFNULL(HEX(data), 'null'), IFNULL(LENGTH(data), -1) FROM shop.blobs ORDER "
        "BY id;\n"
        "SELECT id, label FROM shop.legacy ORDER BY id;\n"
        "SELECT id, item, HEX(at_name) FROM shop.audit ORDER BY id;\n"
        "SELECT id, HEX(title), MD5(body) FROM wiki.pages ORDER BY id;\n"
        "SELECT ROUTINE_NAME, ROUTINE_TYPE, MD5(ROUTINE_DEFINITION) FROM "
        "information_schema.ROUTINES WHERE ROUTINE_SCHEMA = 'shop';\n"
        "SELECT TRIGGER_NAME, MD5(ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE "
        "TRIGGER_SCHEMA = 'shop';\n"
        "SELECT EVENT_NAME, MD5(EVENT_DEFINITION) FROM information_schema.EVENTS WHERE "
        "EVENT_SCHEMA = 'shop';\n"
        "SELECT TABLE_NAME, MD5(VIEW_DEFINITION) FROM information_schema.VIEWS WHERE "
        "TABLE_SCHEMA = 'shop';\n"
        "SELECT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'shop' AND TABLE_NAME "
        "= 'legacy';\n"
        "SELECT GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE FROM information_schema.SCHEMA_PRIVILEGES "
        "WHERE GRANTEE LIKE '%app%' ORDER BY 1, 2, 3;\n");
}

} // namespace

TEST_F(MariadbRun, StagesEveryDatabaseAndTheDrillRestoresEachEqual) {
    auto first = run("2026-11-22");
    ASSERT_EQ(first.exit_status, 0) << first.out << first.err << logs();
    fs::path day = staging / "2026-11-22";
    for (const char* name :
         {"shop.sql.zst.age", "shop.fingerprint.zst.age", "wiki.sql.zst.age",
          "wiki.fingerprint.zst.age", "users.sql.zst.age", "users.fingerprint.zst.age"}) {
        EXPECT_TRUE(fs::is_regular_file(day / "db/mariadb" / name)) << name;
    }
    std::string dump = decrypt(day / "db/mariadb/shop.sql.zst.age");
    EXPECT_NE(dump.find("\n-- Dump completed"), std::string::npos);
    EXPECT_NE(dump.find("CREATE DEFINER"), std::string::npos); // routines, trigger, event
    EXPECT_NE(dump.find("0x000102030405"), std::string::npos); // --hex-blob
    // The report names the MyISAM table and how long it was locked.
    std::string report = read_file(day / "report.json");
    EXPECT_NE(report.find("non_transactional"), std::string::npos) << report;
    // No password, no socket path in report.json.
    EXPECT_EQ(report.find("app-secret"), std::string::npos);

    auto drilled = drill("2026-11-22");
    EXPECT_EQ(drilled.exit_status, 0) << drilled.out << drilled.err;
    EXPECT_NE(drilled.out.find("ok        mariadb/shop: 4 tables equal, 1 routine, 1 trigger, 1 "
                               "event, 1 view"),
              std::string::npos)
        << drilled.out;
    EXPECT_NE(drilled.out.find("ok        mariadb/wiki: 2 tables equal"), std::string::npos)
        << drilled.out;
    EXPECT_NE(drilled.out.find("ok        mariadb/users: "), std::string::npos) << drilled.out;
    EXPECT_NE(drilled.out.find("3 subjects, 3 equal, 0 not matching"), std::string::npos)
        << drilled.out;
    // Recorded in the catalog (run on the host).
    auto recorded = run_command({"sqlite3", (dir / "state/catalog.sqlite").string(),
                                 "SELECT subject, ok FROM drills ORDER BY subject"});
    EXPECT_EQ(recorded.out, "mariadb/shop|1\nmariadb/users|1\nmariadb/wiki|1\n") << recorded.err;
    // --only picks a subject.
    auto only = drill("2026-11-22", {"--only", "mariadb/wiki"});
    EXPECT_EQ(only.exit_status, 0) << only.out;
    EXPECT_NE(only.out.find("1 subjects, 1 equal"), std::string::npos) << only.out;

    // Independently: the test restores the dumps itself and compares with its own queries.
    drill::MariadbServer restored;
    for (const char* name : {"shop", "wiki"}) {
        std::string text = decrypt(day / "db/mariadb" / (std::string(name) + ".sql.zst.age"));
        restored.root_client().query(text, std::chrono::seconds(300));
    }
    // users.sql replaces root@localhost itself: loaded by another administrator account.
    SeededMariadb::sql(restored, "CREATE USER tester@localhost IDENTIFIED BY 'test-pw'; GRANT ALL "
                                 "ON *.* TO tester@localhost WITH GRANT OPTION; GRANT PROXY ON "
                                 "''@'%' TO tester@localhost WITH GRANT OPTION;");
    write_file(dir / "tester.cnf", "[client]\nuser = tester\npassword = test-pw\n",
               fs::perms(0600));
    sources::MariadbConnection tester = restored.root_connection();
    tester.user.clear();
    tester.defaults_file = dir / "tester.cnf";
    sources::MariadbClient(tester).query(decrypt(day / "db/mariadb/users.sql.zst.age"),
                                         std::chrono::seconds(300));
    EXPECT_EQ(own_view(restored), own_view(*server));
    EXPECT_NE(own_view(restored).find("MyISAM"), std::string::npos);

    // The next day, unchanged: yesterday's artifacts are hard-linked.
    auto second = run("2026-11-23");
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    for (const char* name : {"shop.sql.zst.age", "shop.fingerprint.zst.age", "wiki.sql.zst.age",
                             "users.sql.zst.age"}) {
        EXPECT_EQ(inode(day / "db/mariadb" / name), inode(staging / "2026-11-23/db/mariadb" / name))
            << name;
    }
    // A changed table is dumped anew.
    SeededMariadb::sql(*server, "UPDATE wiki.counter SET n = n + 1;");
    ASSERT_EQ(run("2026-11-24").exit_status, 0);
    EXPECT_NE(inode(staging / "2026-11-23/db/mariadb/wiki.sql.zst.age"),
              inode(staging / "2026-11-24/db/mariadb/wiki.sql.zst.age"));
    EXPECT_EQ(inode(staging / "2026-11-23/db/mariadb/shop.sql.zst.age"),
              inode(staging / "2026-11-24/db/mariadb/shop.sql.zst.age"));
}

// A dump tool without --system=users (mariadb-dump before 10.2.37/10.3.28/10.4.18/10.5.9, or
// MySQL's mysqldump) refuses the option before writing anything; a wrapper answers as such a tool
// does. The accounts and grants are then queried from the real server and written as SQL, which
// the drill accepts and which restores into a fresh server with the same grants.
TEST_F(MariadbRun, WithoutSystemUsersTheGrantsAreQueriedAndRestoreAlike) {
    write_file(dir / "old-dump",
               "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --system*) echo \"$0: unknown "
               "variable '${a#--}'\" >&2; exit 7;; esac; done\nexec /usr/bin/mariadb-dump "
               "\"$@\"\n",
               fs::perms(0755));
    write_config("mariadb_dump = \"" + (dir / "old-dump").string() + "\"\n");
    auto staged = run("2026-11-22");
    ASSERT_EQ(staged.exit_status, 0) << staged.out << staged.err << logs();
    fs::path day = staging / "2026-11-22";
    std::string users = decrypt(day / "db/mariadb/users.sql.zst.age");
    EXPECT_NE(users.find("written by offstage from SHOW CREATE USER"), std::string::npos) << users;
    EXPECT_TRUE(users.ends_with("\n-- Dump completed\n")) << users;
    EXPECT_NE(users.find("CREATE OR REPLACE USER `app`@`localhost` IDENTIFIED BY PASSWORD '*"),
              std::string::npos)
        << users;
    EXPECT_NE(users.find("CREATE OR REPLACE ROLE `reader`"), std::string::npos) << users;
    // The hash stays inside the encrypted artifact: not in the log, the output or the report.
    for (const std::string& text :
         {read_file(dir / "run.log"), staged.out, staged.err, read_file(day / "report.json")}) {
        EXPECT_EQ(text.find("IDENTIFIED BY PASSWORD"), std::string::npos) << text;
        EXPECT_EQ(text.find("app-secret"), std::string::npos);
    }

    // The drill loads the databases first (the column and routine grants name their objects).
    auto drilled = drill("2026-11-22");
    EXPECT_EQ(drilled.exit_status, 0) << drilled.out << drilled.err;
    EXPECT_NE(drilled.out.find("ok        mariadb/users: "), std::string::npos) << drilled.out;

    // Independently: loaded into a fresh server (after the databases) by an administrator of its
    // own (the file replaces root@localhost too), the user and the role hold the same grants.
    drill::MariadbServer restored;
    for (const char* name : {"shop", "wiki"}) {
        restored.root_client().query(
            decrypt(day / "db/mariadb" / (std::string(name) + ".sql.zst.age")),
            std::chrono::seconds(300));
    }
    SeededMariadb::sql(restored, "CREATE USER tester@localhost IDENTIFIED BY 'test-pw'; GRANT ALL "
                                 "ON *.* TO tester@localhost WITH GRANT OPTION; GRANT PROXY ON "
                                 "''@'%' TO tester@localhost WITH GRANT OPTION;");
    write_file(dir / "tester.cnf", "[client]\nuser = tester\npassword = test-pw\n",
               fs::perms(0600));
    sources::MariadbConnection tester = restored.root_connection();
    tester.user.clear();
    tester.defaults_file = dir / "tester.cnf";
    sources::MariadbClient(tester).query(users, std::chrono::seconds(300));
    auto grants = [](const drill::MariadbServer& on, const std::string& grantee) {
        std::string text = SeededMariadb::sql(on, "SHOW GRANTS FOR " + grantee + ";");
        std::vector<std::string> lines;
        std::istringstream stream(text);
        for (std::string line; std::getline(stream, line);) {
            // A column grant lists its columns in the server's hash order ("(`title`, `id`)"
            // on one server, "(`id`, `title`)" on another): compared sorted.
            std::size_t open = line.find(" (`");
            std::size_t close = line.find("`) ON ", open);
            if (open != std::string::npos && close != std::string::npos) {
                std::vector<std::string> columns;
                std::istringstream list(line.substr(open + 2, close + 1 - (open + 2)));
                for (std::string column; std::getline(list, column, ',');) {
                    columns.push_back(column.substr(column.find('`')));
                }
                std::sort(columns.begin(), columns.end());
                std::string sorted;
                for (const std::string& column : columns) {
                    sorted += (sorted.empty() ? "" : ", ") + column;
                }
                line = line.substr(0, open + 2) + sorted + line.substr(close + 1);
            }
            lines.push_back(line);
        }
        std::sort(lines.begin(), lines.end());
        return lines;
    };
    for (const char* grantee : {"'app'@'localhost'", "reader"}) {
        std::vector<std::string> original = grants(*server, grantee);
        EXPECT_GE(original.size(), 2u) << grantee;
        EXPECT_EQ(grants(restored, grantee), original) << grantee;
    }
    // The restoring account was not left holding the role, nor the import role behind.
    EXPECT_EQ(SeededMariadb::sql(restored, "SELECT COUNT(*) FROM mysql.roles_mapping WHERE User = "
                                           "'tester' OR Role = 'offstage_import_role';"),
              "0\n");
}

// A server whose default character set is latin1, as many older installations are: a latin1
// table holding every byte 0x80-0xFF (MariaDB's latin1 is cp1252 with the gaps mapped) and
// accented text, and a utf8mb4 table holding CJK text and an emoji. The dump always talks
// utf8mb4, which holds every latin1 character: the drill finds every table equal, and the text
// restores byte for byte, in its own character set.
TEST_F(MariadbRun, ALatin1ServerDumpsAndRestoresItsTextByteForByte) {
    drill::MariadbServerOptions options;
    options.character_set = "latin1";
    drill::MariadbServer latin1(options);
    ASSERT_EQ(SeededMariadb::sql(latin1, "SELECT @@character_set_server;"), "latin1\n");
    std::string every_high_byte;
    for (int byte = 0x80; byte <= 0xff; ++byte) {
        every_high_byte += "0123456789ABCDEF"[byte >> 4];
        every_high_byte += "0123456789ABCDEF"[byte & 0xf];
    }
    SeededMariadb::sql(
        latin1, "CREATE DATABASE legacy;\n" // the server's default: latin1
                "CREATE TABLE legacy.names (id INT PRIMARY KEY, name VARCHAR(200)) ENGINE=InnoDB;\n"
                "CREATE TABLE legacy.cjk (id INT PRIMARY KEY, body VARCHAR(200)) ENGINE=InnoDB "
                "DEFAULT CHARSET=utf8mb4;\n"
                "INSERT INTO legacy.names VALUES (1, X'" +
                    every_high_byte +
                    "'), (2, 'Größe Ærøskøbing façade naïve €');\n"
                    "INSERT INTO legacy.cjk VALUES (1, '漢字 かな カナ 한국어'), (2, '中文 🎉');\n");
    // The test's own view: every column's bytes and character set.
    auto view = [](const drill::MariadbServer& on) {
        return SeededMariadb::sql(
            on, "SELECT id, HEX(name) FROM legacy.names ORDER BY id;\n"
                "SELECT id, HEX(body) FROM legacy.cjk ORDER BY id;\n"
                "SELECT TABLE_NAME, COLUMN_NAME, CHARACTER_SET_NAME FROM "
                "information_schema.COLUMNS WHERE TABLE_SCHEMA = 'legacy' AND CHARACTER_SET_NAME "
                "IS NOT NULL ORDER BY 1, 2;\n");
    };
    std::string original = view(latin1);
    ASSERT_NE(original.find("names\tname\tlatin1"), std::string::npos) << original;
    ASSERT_NE(original.find("cjk\tbody\tutf8mb4"), std::string::npos) << original;
    ASSERT_NE(original.find(every_high_byte), std::string::npos) << original;

    write_config("", "socket = \"" + latin1.socket().string() + "\"\nuser = \"root\"\n");
    std::string config = read_file(dir / "offstage.toml");
    config.replace(config.find("databases = [\"shop\", \"wiki\"]"), 30, "databases = [\"legacy\"]");
    write_file(dir / "offstage.toml", config);
    auto staged = run("2026-11-22");
    ASSERT_EQ(staged.exit_status, 0)
        << staged.out << staged.err << read_file(dir / "run.log") << "\nthe server's error log:\n"
        << latin1.error_log_tail();
    auto drilled = drill("2026-11-22", {"--only", "mariadb/legacy"});
    EXPECT_EQ(drilled.exit_status, 0) << drilled.out << drilled.err;
    EXPECT_NE(drilled.out.find("ok        mariadb/legacy: 2 tables equal"), std::string::npos)
        << drilled.out;

    // Independently: restored into a fresh server (utf8mb4 by default), the same bytes.
    drill::MariadbServer restored;
    restored.root_client().query(decrypt(staging / "2026-11-22/db/mariadb/legacy.sql.zst.age"),
                                 std::chrono::seconds(300));
    EXPECT_EQ(view(restored), original);
}

TEST_F(MariadbRun, ADumpUnderConcurrentWritesMatchesItsFingerprintExactly) {
    SeededMariadb::sql(*server,
                       "CREATE DATABASE IF NOT EXISTS busy;\n"
                       "CREATE TABLE IF NOT EXISTS busy.ledger (id INT PRIMARY KEY AUTO_INCREMENT, "
                       "amount INT) ENGINE=InnoDB;\n"
                       "CREATE TABLE IF NOT EXISTS busy.balance (id INT PRIMARY KEY, total BIGINT) "
                       "ENGINE=InnoDB;\nINSERT IGNORE INTO busy.balance VALUES (1, 0);\n");
    write_config("", "socket = \"" + server->socket().string() +
                         "\"\nuser = \"root\"\ndatabases = [\"busy\"]\n");
    // Rewrite without the default list: only `busy`.
    std::string config = read_file(dir / "offstage.toml");
    config.erase(config.find("databases = [\"shop\", \"wiki\"]\n"), 30);
    write_file(dir / "offstage.toml", config);
    // Another connection keeps writing: each transaction inserts into one table and updates the
    // other, so a dump that mixed two moments would not add up.
    std::atomic<bool> stop{false};
    std::thread writer([&] {
        sources::MariadbClient client = server->root_client();
        while (!stop) {
            try {
                while (!stop) {
                    client.query(
                        "DELIMITER //\nBEGIN NOT ATOMIC DECLARE i INT DEFAULT 0; WHILE i < "
                        "200 DO START TRANSACTION; INSERT INTO busy.ledger (amount) VALUES "
                        "(1); UPDATE busy.balance SET total = total + 1 WHERE id = 1; "
                        "COMMIT; SET i = i + 1; END WHILE; END//\n",
                        std::chrono::seconds(60));
                }
            } catch (const std::exception& error) {
                // The snapshot lock may pick a writer that holds one table and waits for the other
                // as a metadata-lock deadlock victim (1213, as InnoDB does): writers retry that.
                if (std::string(error.what()).find("ERROR 1213") == std::string::npos) {
                    ADD_FAILURE() << "the writer stopped: " << error.what();
                }
            }
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto result = run("2026-11-22");
    stop = true;
    writer.join();
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err << logs();
    auto drilled = drill("2026-11-22", {"--only", "mariadb/busy"});
    EXPECT_EQ(drilled.exit_status, 0) << drilled.out << drilled.err;
    EXPECT_NE(drilled.out.find("ok        mariadb/busy: 2 tables equal"), std::string::npos)
        << drilled.out;
    // The dump is one moment: the balance equals the ledger's rows.
    drill::MariadbServer restored;
    restored.root_client().query(decrypt(staging / "2026-11-22/db/mariadb/busy.sql.zst.age"),
                                 std::chrono::seconds(300));
    std::string sums = SeededMariadb::sql(
        restored, "SELECT (SELECT COUNT(*) FROM busy.ledger) = (SELECT total FROM busy.balance), "
                  "(SELECT COUNT(*) FROM busy.ledger) > 0;");
    EXPECT_EQ(sums, "1\t1\n");
}

// With no `databases` list every database is dumped but the server's own schemas: `mysql` too
// stays out (its accounts are in users.sql), so its log tables, which take no lock, never fail
// the source (they did before: "You can't use locks with log tables").
TEST_F(MariadbRun, ByDefaultEveryDatabaseButTheServersOwnIsDumped) {
    write_config("");
    std::string config = read_file(dir / "offstage.toml");
    config.erase(config.find("databases = [\"shop\", \"wiki\"]\n"), 30);
    write_file(dir / "offstage.toml", config);
    auto staged = run("2026-11-21");
    ASSERT_EQ(staged.exit_status, 0) << staged.err << logs();
    fs::path day = staging / "2026-11-21/db/mariadb";
    EXPECT_TRUE(fs::exists(day / "shop.sql.zst.age"));
    EXPECT_TRUE(fs::exists(day / "wiki.sql.zst.age"));
    EXPECT_TRUE(fs::exists(day / "users.sql.zst.age"));
    for (const char* never : {"mysql", "sys", "information_schema", "performance_schema"}) {
        EXPECT_FALSE(fs::exists(day / (std::string(never) + ".sql.zst.age"))) << never;
    }
}

TEST_F(MariadbRun, AWrongPasswordFailsTheSourceAndTheRunGoesOn) {
    SeededMariadb::sql(*server, "CREATE USER IF NOT EXISTS 'backup'@'localhost' IDENTIFIED BY "
                                "'right-password'; GRANT ALL ON *.* TO 'backup'@'localhost';");
    write_file(dir / "backup.cnf",
               "[client]\nuser = backup\npassword = wrong-password\nsocket = " +
                   server->socket().string() + "\n",
               fs::perms(0600));
    write_config("connect_timeout = 5\n",
                 "defaults_file = \"" + (dir / "backup.cnf").string() + "\"\n");
    auto result = run("2026-11-22");
    EXPECT_EQ(result.exit_status, 5) << result.out << result.err;
    std::string report = read_file(staging / "2026-11-22/report.json");
    EXPECT_NE(report.find("child_failed"), std::string::npos) << report;
    EXPECT_TRUE(fs::exists(staging / "2026-11-22/files.tar.zst.age")); // the rest went on
    EXPECT_FALSE(fs::exists(staging / "2026-11-22/db/mariadb"));
    std::string log = read_file(dir / "run.log");
    EXPECT_NE(log.find("Access denied"), std::string::npos) << log;
    EXPECT_EQ(log.find("wrong-password"), std::string::npos);
    EXPECT_EQ(result.err.find("wrong-password"), std::string::npos);
    // The right password works, from the defaults file alone.
    write_file(dir / "backup.cnf",
               "[client]\nuser = backup\npassword = right-password\nsocket = " +
                   server->socket().string() + "\n",
               fs::perms(0600));
    EXPECT_EQ(run("2026-11-23").exit_status, 0) << logs();
}

TEST_F(MariadbRun, ATruncatedOrKilledDumpIsNeverCommittedNorReplacesTheLastGoodOne) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0);
    fs::path good = staging / "2026-11-22/db/mariadb/shop.sql.zst.age";
    ino_t good_inode = inode(good);
    SeededMariadb::sql(*server, "UPDATE wiki.counter SET n = n + 1;"); // no reuse possible
    // A wrapper that exits 0 after cutting the dump short.
    write_file(dir / "truncating-dump",
               "#!/bin/sh\n/usr/bin/mariadb-dump \"$@\" | head -c 1500\nexit 0\n", fs::perms(0755));
    write_config("mariadb_dump = \"" + (dir / "truncating-dump").string() + "\"\n");
    auto truncated = run("2026-11-23");
    EXPECT_EQ(truncated.exit_status, 5) << truncated.out << truncated.err;
    std::string report = read_file(staging / "2026-11-23/report.json");
    EXPECT_NE(report.find("child_output_incomplete"), std::string::npos) << report;
    EXPECT_FALSE(fs::exists(staging / "2026-11-23/db/mariadb/shop.sql.zst.age"));
    EXPECT_FALSE(fs::exists(staging / "2026-11-23/db/mariadb/wiki.sql.zst.age"));
    // A dump killed half-way (the child dies by a signal).
    write_file(dir / "killed-dump",
               "#!/bin/sh\n/usr/bin/mariadb-dump \"$@\" | head -c 1500\nkill -9 $$\n",
               fs::perms(0755));
    write_config("mariadb_dump = \"" + (dir / "killed-dump").string() + "\"\n");
    auto killed = run("2026-11-24");
    EXPECT_EQ(killed.exit_status, 5) << killed.out << killed.err;
    EXPECT_NE(read_file(staging / "2026-11-24/report.json").find("child_failed"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(staging / "2026-11-24/db/mariadb/shop.sql.zst.age"));
    // The last good artifact is still there, untouched, and still drills.
    EXPECT_EQ(inode(good), good_inode);
    auto drilled = drill("2026-11-22", {"--only", "db"});
    EXPECT_EQ(drilled.exit_status, 0) << drilled.out;
}

TEST_F(MariadbRun, AServerThatIsDownFailsTheSourceWithinItsTimeout) {
    drill::MariadbServer doomed;
    fs::path socket = doomed.socket();
    doomed.stop();
    write_config("connect_timeout = 3\n",
                 "socket = \"" + socket.string() + "\"\nuser = \"root\"\n");
    auto started = std::chrono::steady_clock::now();
    auto result = run("2026-11-22");
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(120));
    EXPECT_EQ(result.exit_status, 5) << result.out << result.err;
    EXPECT_NE(read_file(dir / "run.log").find("cannot reach the MariaDB server"), std::string::npos)
        << read_file(dir / "run.log");
}

TEST_F(MariadbRun, ATamperedDayIsNotDrilled) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0) << logs();
    fs::path dump = staging / "2026-11-22/db/mariadb/wiki.sql.zst.age";
    std::string bytes = read_file(dump);
    bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x01);
    fs::remove(dump);
    write_file(dump, bytes);
    auto drilled = drill("2026-11-22");
    EXPECT_EQ(drilled.exit_status, 4) << drilled.out << drilled.err;
    EXPECT_NE(drilled.err.find("the day does not verify: nothing was restored"), std::string::npos)
        << drilled.err;
}

// A drill killed as the OOM killer would (SIGKILL, no destructor runs): while mariadb-install-db
// makes its server's data directory, and while the server runs (restoring). Its processes end
// and the scratch directories, with the plaintext restored in them, go.
TEST_F(MariadbRun, ADrillKilledMidWayLeavesNoServerAndNoScratchDirectory) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0) << logs();
    for (std::string phase : {"offstage-mariadb-", "mysqld.sock"}) {
        SCOPED_TRACE("killed once a process mentions " + phase);
        TempDir scratch_parent("offstage-killed-drill");
        // The drill's TMPDIR: the server's user must reach its directory there, as in /tmp.
        fs::permissions(scratch_parent.path(), fs::perms(0755));
        const std::string under = scratch_parent.path().string() + "/";
        const fs::path output = dir / "killed-drill.out";
        int output_fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(output_fd, 0);
        offstage::test::BackgroundCommand drilling(
            {"/usr/bin/env", "TMPDIR=" + scratch_parent.path().string(),
             built_program("offstage").string(), "--config", (dir / "offstage.toml").string(),
             "drill", "2026-11-22", "-i", identity.string()},
            -1, output_fd, output_fd);
        ::close(output_fd);
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
        bool seen = false;
        while (!seen && std::chrono::steady_clock::now() < deadline) {
            for (pid_t pid : processes_mentioning(under)) {
                seen = seen || command_line(pid).find(phase) != std::string::npos;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ASSERT_TRUE(seen) << "the drill started no process mentioning " << phase << " under "
                          << under << "; it said: " << read_file(output);
        ::kill(drilling.pid(), SIGKILL);
        drilling.wait(std::chrono::seconds(10));
        deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
        while (std::chrono::steady_clock::now() < deadline &&
               (!processes_mentioning(under).empty() || !fs::is_empty(scratch_parent.path()))) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        std::vector<pid_t> left = processes_mentioning(under);
        EXPECT_TRUE(left.empty()) << left.size() << " processes of the killed drill still run";
        for (pid_t pid : left) {
            ::kill(pid, SIGKILL);
        }
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(scratch_parent.path())) {
            names.push_back(entry.path().filename().string());
        }
        EXPECT_TRUE(names.empty()) << "left behind: " << ::testing::PrintToString(names);
    }
}

// A day written by hand (no run): artifacts encrypted to a fresh identity in a work directory,
// then drilled by the MariaDB drill.
struct HandMadeDay {
    TempDir dir{"offstage-mariadb-drill"};
    age::X25519Identity identity = age::X25519Identity::generate();
    std::unique_ptr<staging::StagingTree> tree;
    std::unique_ptr<staging::WorkDir> work;
    std::unique_ptr<staging::ArtifactWriter> writer;
    std::vector<std::string> artifacts;

    HandMadeDay() {
        fs::create_directories(dir / "srv/offstage");
        tree = std::make_unique<staging::StagingTree>(dir / "srv/offstage", dir / "work");
        work = std::make_unique<staging::WorkDir>(tree->begin("2026-11-22"));
        staging::ArtifactSettings settings;
        settings.keys.recipients = {identity.recipient()};
        settings.compression.threads = 1;
        writer = std::make_unique<staging::ArtifactWriter>(*work, settings, staging::DigestKey{});
    }
    void write(const std::string& name, const std::string& content) {
        auto artifact = writer->begin_stream(name);
        artifact->sink().write(std::as_bytes(std::span(content.data(), content.size())));
        artifact->commit();
        artifacts.push_back(name);
    }
    std::vector<drill::DrillVerdict> drill() const {
        restore::DayDirectory day(work->path());
        std::vector<age::X25519Identity> identities{identity};
        drill::DrillContext context{day, identities, dir.path(), {}, {}};
        context.artifacts = artifacts;
        std::sort(context.artifacts.begin(), context.artifacts.end());
        return drill::MariadbDrill().run(context);
    }
};

// The drill's comparison itself: a day whose fingerprint does not match its dump gives a
// MISMATCH verdict naming the table (the command's exit 7).
TEST(MariadbDrill, NamesTheTableWhoseRestoredRowsDifferFromTheFingerprint) {
    std::string why;
    if (SeededMariadb::shared(why) == nullptr) {
        if (!SeededMariadb::installed()) {
            GTEST_SKIP() << why;
        }
        FAIL() << "the seeded MariaDB server did not start: " << why;
    }
    HandMadeDay made;
    made.write("db/mariadb/little.sql.zst.age",
               "CREATE DATABASE little;\nUSE little;\nCREATE TABLE t (id INT) ENGINE=InnoDB;\n"
               "INSERT INTO t VALUES (1), (2), (3);\n-- Dump completed\n");
    sources::MariadbFingerprint claimed;
    claimed.database = "little";
    claimed.tables.push_back({"t", "InnoDB", 4, "0:0", true});
    made.write("db/mariadb/little.fingerprint.zst.age", claimed.to_text());
    std::vector<drill::DrillVerdict> verdicts = made.drill();
    ASSERT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts[0].subject, "mariadb/little");
    EXPECT_FALSE(verdicts[0].ok);
    EXPECT_EQ(verdicts[0].detail, "table t: 3 rows, fingerprint 4");
}

// A day staged by an older offstage holds a version-1 fingerprint (two sums per table); the drill
// computes the restored copy's fingerprint in the day's version, so such a day still drills equal,
// as a current one does.
TEST(MariadbDrill, DaysWithEitherFingerprintVersionDrillEqual) {
    std::string why;
    drill::MariadbServer* original = SeededMariadb::shared(why);
    if (original == nullptr) {
        if (!SeededMariadb::installed()) {
            GTEST_SKIP() << why;
        }
        FAIL() << "the seeded MariaDB server did not start: " << why;
    }
    const std::string dump =
        "CREATE DATABASE IF NOT EXISTS versions;\nUSE versions;\nCREATE TABLE IF NOT EXISTS t (id "
        "INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;\nREPLACE INTO t VALUES (1, 'pâté'), "
        "(2, NULL), (3, 'NULL');\n-- Dump completed\n";
    SeededMariadb::sql(*original, dump);
    for (int version : {1, 2}) {
        SCOPED_TRACE("fingerprint version " + std::to_string(version));
        sources::MariadbFingerprint fingerprint = sources::mariadb_fingerprint_now(
            original->root_client(), "versions", std::chrono::seconds(60), version);
        std::string text = fingerprint.to_text();
        ASSERT_TRUE(
            text.starts_with("offstage mariadb fingerprint " + std::to_string(version) + "\n"))
            << text;
        ASSERT_EQ(fingerprint.tables.size(), 1u);
        // Version 1 has two sums, version 2 one.
        EXPECT_EQ(fingerprint.tables[0].checksum.find(':') != std::string::npos, version == 1)
            << fingerprint.tables[0].checksum;

        HandMadeDay made;
        made.write("db/mariadb/versions.sql.zst.age", dump);
        made.write("db/mariadb/versions.fingerprint.zst.age", text);
        std::vector<drill::DrillVerdict> verdicts = made.drill();
        ASSERT_EQ(verdicts.size(), 1u);
        EXPECT_TRUE(verdicts[0].ok) << verdicts[0].detail;
    }
}
