// The SQLite source and drill on real database files: a database that another process keeps
// writing is copied consistently (the backup API in one read transaction), integrity_check and
// the fingerprint hold after restore, an unchanged database reuses its artifacts, and a
// corrupt database is refused before it is archived.
#include "stager/drill/sqlite_drill.hpp"
#include "stager/sources/databases/sqlite_source.hpp"
#include "tests/databases/dump_run.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <fstream>
#include <gtest/gtest.h>
#include <thread>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::DrillDay;
using offstage::test::DumpRun;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::write_file;

namespace {

std::string sqlite_cli(const fs::path& database, const std::string& sql) {
    auto out = run_command({"sqlite3", database.string(), sql});
    EXPECT_EQ(out.exit_status, 0) << sql << ": " << out.err;
    return out.out;
}

// Each transaction inserts a row and bumps a counter: any consistent copy has count == counter.
constexpr const char* writer_script = R"PY(
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], timeout=30)
i = 0
while True:
    i += 1
    c.execute("INSERT INTO items (n, body, data) VALUES (?, ?, randomblob(64))",
              (i, "row %d ünïcødé 日本" % i))
    c.execute("UPDATE counter SET n = n + 1")
    c.commit()
)PY";

void create_database(const fs::path& path, const std::string& journal_mode) {
    sqlite_cli(path, "PRAGMA journal_mode=" + journal_mode +
                         "; CREATE TABLE items (id INTEGER PRIMARY KEY, n INTEGER, body TEXT, data "
                         "BLOB); CREATE INDEX items_n ON items (n); CREATE TABLE counter (n "
                         "INTEGER); INSERT INTO counter VALUES (0); CREATE VIEW item_count AS "
                         "SELECT count(*) AS c FROM items;");
}

} // namespace

class SqliteUnderWrites : public ::testing::TestWithParam<std::string> {};

TEST_P(SqliteUnderWrites, IsCopiedConsistentlyRestoredEqualAndReusedWhenUnchanged) {
    DumpRun run;
    fs::path database = run.dir / "app/app.sqlite";
    fs::create_directories(database.parent_path());
    create_database(database, GetParam());
    write_file(run.dir / "writer.py", writer_script);
    run.write_config("[[sqlite]]\nname = \"app\"\npath = \"" + database.string() +
                     "\"\ntemp_dir = \"" + run.dir.path().string() + "\"\n");
    {
        offstage::test::BackgroundCommand writer(
            {"/usr/bin/python3", (run.dir / "writer.py").string(), database.string()});
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        auto result = run.run("2026-11-22");
        ASSERT_EQ(result.exit_status, 0)
            << result.out << result.err << read_file(run.dir / "run.log");
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
    } // the writer is killed
    fs::path day = run.day("2026-11-22");
    // Independently: the copy, decrypted by the stock tools, is whole and consistent.
    fs::path copy = run.dir / "restored.sqlite";
    write_file(copy, run.decrypt(day / "db/sqlite/app.sqlite.zst.age"));
    EXPECT_EQ(sqlite_cli(copy, "PRAGMA integrity_check;"), "ok\n");
    std::string counts = sqlite_cli(copy, "SELECT (SELECT count(*) FROM items), n FROM counter;");
    std::string count = counts.substr(0, counts.find('|'));
    EXPECT_EQ(counts, count + "|" + count + "\n") << "not one transaction's state: " << counts;
    EXPECT_NE(count, "0") << "the writer wrote nothing before the copy";
    EXPECT_NE(sqlite_cli(database, "SELECT count(*) FROM items;"), count + "\n")
        << "the writer wrote nothing during the run";
    std::string fingerprint = run.decrypt(day / "db/sqlite/app.fingerprint.zst.age");
    EXPECT_NE(fingerprint.find("table \"items\" rows " + count + " sum "), std::string::npos)
        << fingerprint;
    // No copy is left in the temp directory.
    for (const auto& entry : fs::directory_iterator(run.dir.path())) {
        EXPECT_FALSE(entry.path().filename().string().starts_with("offstage-sqlite-"))
            << entry.path();
    }

    DrillDay drill_day(day, run.identity);
    std::vector<drill::DrillVerdict> verdicts = drill::SqliteDrill().run(drill_day.context());
    ASSERT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts[0].subject, "sqlite/app");
    EXPECT_TRUE(verdicts[0].ok) << verdicts[0].detail;
    EXPECT_EQ(verdicts[0].detail, "2 tables equal");

    // The writer went on after the copy: the next day copies anew; the day after, with nothing
    // changed, links that copy.
    auto second = run.run("2026-11-23");
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    EXPECT_NE(run.inode(day / "db/sqlite/app.sqlite.zst.age"),
              run.inode(run.day("2026-11-23") / "db/sqlite/app.sqlite.zst.age"));
    auto third = run.run("2026-11-24");
    ASSERT_EQ(third.exit_status, 0) << third.out << third.err;
    for (const char* name : {"db/sqlite/app.sqlite.zst.age", "db/sqlite/app.fingerprint.zst.age"}) {
        EXPECT_EQ(run.inode(run.day("2026-11-23") / name), run.inode(run.day("2026-11-24") / name))
            << name;
    }
}

INSTANTIATE_TEST_SUITE_P(JournalModes, SqliteUnderWrites, ::testing::Values("delete", "wal"));

TEST(SqliteSource, ACorruptOrMissingDatabaseIsRefusedAndTheRestIsPublished) {
    DumpRun run;
    fs::path database = run.dir / "broken.sqlite";
    create_database(database, "delete");
    sqlite_cli(database, "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < "
                         "2000) INSERT INTO items (n, body) SELECT i, 'x' || i FROM s;");
    int root = std::stoi(
        sqlite_cli(database, "SELECT rootpage FROM sqlite_schema WHERE name = 'items_n';"));
    int page_size = std::stoi(sqlite_cli(database, "PRAGMA page_size;"));
    {
        // The index's root page, overwritten: the table reads, the index does not match it.
        std::fstream file(database, std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(static_cast<std::streamoff>(root - 1) * page_size);
        std::string garbage(static_cast<std::size_t>(page_size), '\x7f');
        file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
    }
    // Through a real run: the source fails with its reason, the rest is published.
    run.write_config("[[sqlite]]\nname = \"broken\"\npath = \"" + database.string() +
                     "\"\n[[sqlite]]\nname = \"missing\"\npath = \"" +
                     (run.dir / "nothing.sqlite").string() + "\"\n");
    auto result = run.run("2026-11-22");
    EXPECT_EQ(result.exit_status, 5) << result.out << result.err;
    fs::path day = run.day("2026-11-22");
    EXPECT_FALSE(fs::exists(day / "db/sqlite/broken.sqlite.zst.age"));
    std::string report = read_file(day / "report.json");
    EXPECT_NE(report.find("integrity_check_failed"), std::string::npos) << report;
    EXPECT_NE(report.find("input_unreadable"), std::string::npos) << report;
    std::string log = read_file(run.dir / "run.log");
    EXPECT_NE(log.find("PRAGMA integrity_check on the copy of " + database.string()),
              std::string::npos)
        << log;
}
