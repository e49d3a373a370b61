// Schema migrations on real files: a version 1 catalog, as the first offstage wrote it, opens
// migrated to version 2 with its rows; a newer version is refused and left untouched.
#include "stager/catalog/catalog.hpp"
#include "stager/catalog/catalog_error.hpp"
#include "stager/catalog/catalog_schema.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace fs = std::filesystem;
using offstage::catalog::Catalog;
using offstage::catalog::CatalogError;
using offstage::catalog::CatalogSettings;
using offstage::report::AnnoyingFile;
using offstage::report::RunResult;
using offstage::report::RunStatus;
using offstage::test::TempDir;
using Paths = std::vector<std::string>;

namespace {

// The version 1 schema as shipped. A shipped step never changes (databases in the field have
// it): a change is a new step. This copy is what proves it.
constexpr std::string_view shipped_version_1 = R"sql(
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    day              TEXT NOT NULL,
    host             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('complete', 'degraded', 'failed')),
    failure          TEXT NOT NULL DEFAULT '',
    offstage_version TEXT NOT NULL
);
CREATE TABLE sources (
    run_id           INTEGER NOT NULL REFERENCES runs (id),
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('ok', 'degraded', 'failed')),
    duration_seconds REAL NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE problems (
    run_id   INTEGER NOT NULL,
    source   TEXT NOT NULL,
    position INTEGER NOT NULL,
    code     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (run_id, source, position),
    FOREIGN KEY (run_id, source) REFERENCES sources (run_id, name)
);
CREATE TABLE artifacts (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    name   TEXT NOT NULL,
    bytes  INTEGER NOT NULL CHECK (bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    reused INTEGER NOT NULL CHECK (reused IN (0, 1)),
    PRIMARY KEY (run_id, name),
    FOREIGN KEY (run_id, source) REFERENCES sources (run_id, name)
);
CREATE TABLE annoying_files (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path   BLOB NOT NULL,
    PRIMARY KEY (run_id, path)
);
)sql";

// What a version 1 offstage left after three runs: a complete one, a failed one that never
// scanned, a degraded one. Annoying files were listed per run.
constexpr std::string_view version_1_rows = R"sql(
INSERT INTO runs VALUES (1, '2026-11-01', 'host', '2026-11-01T03:00:00Z',
                         '2026-11-01T03:10:00Z', 'complete', '', '0.0.9');
INSERT INTO runs VALUES (2, '2026-11-02', 'host', '2026-11-02T03:00:00Z',
                         '2026-11-02T03:00:05Z', 'failed', 'staging root full', '0.0.9');
INSERT INTO runs VALUES (3, '2026-11-03', 'host', '2026-11-03T03:00:00Z',
                         '2026-11-03T03:11:00Z', 'degraded', '', '0.0.9');
INSERT INTO sources VALUES (1, 0, 'files', 'files', 'ok', 590.5);
INSERT INTO sources VALUES (1, 1, 'system', 'system', 'ok', 3.0);
INSERT INTO sources VALUES (3, 0, 'files', 'files', 'degraded', 650.0);
INSERT INTO problems VALUES (3, 'files', 0, 'input_changed', '/var/log/syslog changed');
INSERT INTO artifacts VALUES (1, 'files', 'files.tar.zst.age', 1000,
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 0);
INSERT INTO artifacts VALUES (1, 'system', 'system.tar.zst.age', 200,
    'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb', 0);
INSERT INTO artifacts VALUES (3, 'files', 'files.tar.zst.age', 1100,
    'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc', 0);
INSERT INTO annoying_files VALUES (1, CAST('/etc/a' AS BLOB));
INSERT INTO annoying_files VALUES (1, CAST('/etc/b' AS BLOB));
INSERT INTO annoying_files VALUES (3, CAST('/etc/a' AS BLOB));
INSERT INTO annoying_files VALUES (3, X'2f6574632fff');
)sql";

void run_sql(sqlite3* db, std::string_view sql) {
    char* error = nullptr;
    int code = sqlite3_exec(db, std::string(sql).c_str(), nullptr, nullptr, &error);
    std::string message = error != nullptr ? error : "";
    sqlite3_free(error);
    ASSERT_EQ(code, SQLITE_OK) << message;
}

void make_database(const fs::path& path, std::string_view sql, int version) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    run_sql(db, sql);
    run_sql(db, "PRAGMA user_version = " + std::to_string(version));
    sqlite3_close(db);
}

int user_version(const fs::path& path) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &statement, nullptr);
    sqlite3_step(statement);
    int version = sqlite3_column_int(statement, 0);
    sqlite3_finalize(statement);
    sqlite3_close(db);
    return version;
}

CatalogSettings settings_for(const fs::path& path) {
    CatalogSettings settings;
    settings.path = path;
    return settings;
}

} // namespace

TEST(CatalogMigration, TheShippedVersion1StepNeverChanges) {
    ASSERT_EQ(offstage::catalog::schema::migrations().size(), 3u);
    EXPECT_EQ(offstage::catalog::schema::migrations()[0], shipped_version_1);
}

TEST(CatalogMigration, Version1RowsComeThroughTheMigrationToVersion2) {
    TempDir dir;
    fs::path path = dir / "catalog.sqlite";
    std::string version_1(shipped_version_1);
    make_database(path, version_1 + std::string(version_1_rows), 1);

    Catalog catalog = Catalog::open(settings_for(path));
    EXPECT_EQ(catalog.schema_version(), 3);
    EXPECT_EQ(user_version(path), 3);

    auto runs = catalog.recent_runs(10);
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0].run.day, "2026-11-03");
    EXPECT_EQ(runs[0].run.status, RunStatus::degraded);
    EXPECT_TRUE(runs[0].run.annoying_files_scanned);
    EXPECT_EQ(runs[1].run.failure, "staging root full");
    EXPECT_FALSE(runs[1].run.annoying_files_scanned); // failed and listed nothing
    EXPECT_TRUE(runs[2].run.annoying_files_scanned);
    ASSERT_EQ(runs[0].run.sources.size(), 1u);
    ASSERT_EQ(runs[0].run.sources[0].problems.size(), 1u);
    EXPECT_EQ(runs[0].run.sources[0].problems[0].detail, "/var/log/syslog changed");
    EXPECT_EQ(runs[0].run.sources[0].artifacts[0].bytes, 1100u);
    EXPECT_FALSE(runs[0].run.sources[0].artifacts[0].plaintext_digest); // v1 had none
    ASSERT_EQ(runs[2].run.sources.size(), 2u);
    EXPECT_EQ(runs[2].run.sources[1].name, "system");
    EXPECT_TRUE(runs[2].run.sources[1].counts.empty());
    EXPECT_FALSE(catalog.reusable_artifact("system.tar.zst.age")); // no digest: no reuse yet

    const std::string odd("/etc/\xff", 6);
    auto dates = catalog.annoying_file_dates();
    ASSERT_EQ(dates.size(), 3u);
    EXPECT_EQ(dates["/etc/a"].first_seen, "2026-11-01");
    EXPECT_EQ(dates["/etc/a"].last_seen, "2026-11-03");
    EXPECT_EQ(dates["/etc/b"].first_seen, "2026-11-01");
    EXPECT_EQ(dates["/etc/b"].last_seen, "2026-11-01");
    EXPECT_EQ(dates[odd].first_seen, "2026-11-03");

    // The set the next run compares with is run 3's list.
    RunResult next;
    next.day = "2026-11-04";
    next.annoying_files = {AnnoyingFile{"/etc/a"}, AnnoyingFile{"/etc/d"}};
    next.annoying_files_scanned = true;
    catalog.fill_annoying_changes(next);
    EXPECT_EQ(next.new_annoying_files, (Paths{"/etc/d"}));
    EXPECT_EQ(next.gone_annoying_files, (Paths{odd}));

    // Opening again is a no-op; a new record goes in with the version 2 columns.
    Catalog again = Catalog::open(settings_for(path));
    next.status = RunStatus::complete;
    again.record(next);
    EXPECT_EQ(again.annoying_file_dates()["/etc/a"].first_seen, "2026-11-01");
    EXPECT_EQ(again.annoying_file_dates()["/etc/a"].last_seen, "2026-11-04");
}

TEST(CatalogMigration, ANewerSchemaIsRefusedAndLeftUntouched) {
    TempDir dir;
    fs::path path = dir / "catalog.sqlite";
    make_database(path, "CREATE TABLE future (x);", 4);
    auto size_before = fs::file_size(path);
    try {
        Catalog::open(settings_for(path));
        FAIL() << "a version 4 catalog was opened";
    } catch (const CatalogError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(path.string()), std::string::npos) << message;
        EXPECT_NE(message.find("schema version 4, newer than this offstage knows (3)"),
                  std::string::npos)
            << message;
    }
    EXPECT_EQ(user_version(path), 4);
    EXPECT_EQ(fs::file_size(path), size_before);
    EXPECT_FALSE(fs::exists(path.string() + "-wal")); // not even switched to WAL
}

TEST(CatalogMigration, AnEmptyFileBecomesACurrentCatalog) {
    TempDir dir;
    fs::path path = dir / "catalog.sqlite";
    make_database(path, "", 0);
    Catalog catalog = Catalog::open(settings_for(path));
    EXPECT_EQ(catalog.schema_version(), 3);
    EXPECT_TRUE(catalog.recent_runs(10).empty());
}
