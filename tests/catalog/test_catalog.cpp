// The catalog on real SQLite files: what is recorded comes back, a record is one transaction,
// new and gone annoying files over several runs, reuse only from published runs, the online
// backup, and errors that name the file.
#include "stager/catalog/catalog.hpp"
#include "stager/catalog/catalog_error.hpp"
#include "stager/catalog/catalog_schema.hpp"
#include "tests/catalog/catalog_test_runs.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using offstage::catalog::Catalog;
using offstage::catalog::CatalogError;
using offstage::catalog::CatalogSettings;
using offstage::report::Outcome;
using offstage::report::ReasonCode;
using offstage::report::RunResult;
using offstage::report::RunStatus;
using offstage::test::day_name;
using offstage::test::digest_of;
using offstage::test::november;
using offstage::test::published_run;
using offstage::test::TempDir;
using offstage::test::write_file;
using Paths = std::vector<std::string>;

namespace {

CatalogSettings settings_for(const fs::path& path) {
    CatalogSettings settings;
    settings.path = path;
    settings.busy_timeout = std::chrono::milliseconds(300);
    return settings;
}

mode_t mode_of(const fs::path& path) {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_mode & 07777;
}

template <typename Function>
std::string error_of(Function&& function) {
    try {
        function();
    } catch (const CatalogError& error) {
        return error.what();
    }
    ADD_FAILURE() << "no CatalogError";
    return "";
}

} // namespace

TEST(Catalog, CreatesAPrivateWalDatabaseAtTheCurrentVersion) {
    TempDir dir;
    fs::path path = dir / "state" / "catalog.sqlite"; // the directory is created too
    Catalog catalog = Catalog::open(settings_for(path));
    EXPECT_EQ(catalog.schema_version(), offstage::catalog::schema::current_version);
    catalog.record(published_run(1, {"/etc/secret-name"}));
    EXPECT_EQ(mode_of(path), 0600u);
    EXPECT_EQ(mode_of(path.parent_path()), 0700u);
    // SQLite gives the WAL file the database's mode: nothing readable by others at any time.
    ASSERT_TRUE(fs::exists(path.string() + "-wal"));
    EXPECT_EQ(mode_of(path.string() + "-wal"), 0600u);

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* statement = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &statement, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(statement), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(statement, 0)), "wal");
    sqlite3_finalize(statement);
    sqlite3_close(raw);
}

TEST(Catalog, RecordedRunsComeBackNewestFirstWithEverything) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    RunResult first = published_run(1, {});
    RunResult second = published_run(2, {}, 7);
    second.status = RunStatus::degraded;
    offstage::report::SourceResult spool;
    spool.name = "spool-mail";
    spool.kind = "spool";
    spool.duration = std::chrono::duration<double>(600.5);
    spool.fail(ReasonCode::lock_timeout, "/var/spool/mail.lock held for 600 s");
    spool.degrade(ReasonCode::input_changed, std::string("bytes \xff\x01 kept", 13));
    second.sources.push_back(spool);
    second.sources[1].artifacts[0].reused = true;
    std::int64_t first_id = catalog.record(first);
    std::int64_t second_id = catalog.record(second);
    EXPECT_LT(first_id, second_id);

    auto runs = catalog.recent_runs(10);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[0].id, second_id);
    const RunResult& got = runs[0].run;
    EXPECT_EQ(got.day, "2026-11-02");
    EXPECT_EQ(got.host, "host.example");
    EXPECT_EQ(got.offstage_version, "0.1.0");
    EXPECT_EQ(got.status, RunStatus::degraded);
    EXPECT_EQ(got.started_at, november(2));
    EXPECT_EQ(got.finished_at, november(2, 754));
    EXPECT_TRUE(got.annoying_files_scanned);
    ASSERT_EQ(got.sources.size(), 3u);
    EXPECT_EQ(got.sources[0].name, "files"); // run order kept
    EXPECT_EQ(got.sources[0].counts, second.sources[0].counts);
    EXPECT_DOUBLE_EQ(got.sources[0].duration.count(), 700.25);
    ASSERT_EQ(got.sources[0].artifacts.size(), 1u);
    EXPECT_EQ(got.sources[0].artifacts[0].name, "files.tar.zst.age");
    EXPECT_EQ(got.sources[0].artifacts[0].bytes, 1'500'000'000u);
    EXPECT_EQ(got.sources[0].artifacts[0].sha256, digest_of(10));
    EXPECT_FALSE(got.sources[0].artifacts[0].plaintext_digest);
    EXPECT_EQ(got.sources[1].artifacts[0].plaintext_digest, digest_of(7));
    EXPECT_TRUE(got.sources[1].artifacts[0].reused);
    const auto& failed = got.sources[2];
    EXPECT_EQ(failed.outcome, Outcome::failed);
    ASSERT_EQ(failed.problems.size(), 2u);
    EXPECT_EQ(failed.problems[0].code, ReasonCode::lock_timeout);
    EXPECT_EQ(failed.problems[0].detail, "/var/spool/mail.lock held for 600 s");
    EXPECT_EQ(failed.problems[1].detail, std::string("bytes \xff\x01 kept", 13)); // bytes exact
    EXPECT_EQ(got.total_bytes(), second.total_bytes());

    EXPECT_EQ(catalog.recent_runs(1).size(), 1u);
    // A second connection (status while nothing runs) reads the same.
    auto reopened = Catalog::open_existing(settings_for(dir / "catalog.sqlite"));
    ASSERT_TRUE(reopened);
    EXPECT_EQ(reopened->recent_runs(10)[1].run.day, "2026-11-01");
}

// Every reason code a source can give comes back from the catalog: a code the writer knows and
// the reader refused once made a MariaDB run's status page fail ("unknown value").
TEST(Catalog, EveryReasonCodeComesBack) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    RunResult run = published_run(1, {});
    offstage::report::SourceResult source;
    source.name = "db/mariadb";
    source.kind = "mariadb";
    for (ReasonCode code : offstage::report::all_reason_codes) {
        source.degrade(code, std::string(offstage::report::to_string(code)));
    }
    run.sources.push_back(source);
    catalog.record(run);
    auto runs = catalog.recent_runs(1);
    ASSERT_EQ(runs.size(), 1u);
    const auto& got = runs[0].run.sources.back();
    ASSERT_EQ(got.problems.size(), offstage::report::all_reason_codes.size());
    for (std::size_t i = 0; i < got.problems.size(); ++i) {
        EXPECT_EQ(got.problems[i].code, offstage::report::all_reason_codes[i]);
        EXPECT_EQ(got.problems[i].detail, offstage::report::to_string(got.problems[i].code));
    }
}

TEST(Catalog, AFailedRecordLeavesThePreviousStateWhole) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    catalog.record(published_run(1, {"/srv/a"}, 1));

    // Two sources of one name: the second insert violates the key after the run row, the first
    // source, its artifacts and the annoying upserts were already written in the transaction.
    RunResult bad = published_run(2, {"/srv/a", "/srv/b"}, 2);
    bad.sources.push_back(bad.sources[0]);
    std::string message = error_of([&] { catalog.record(bad); });
    EXPECT_NE(message.find("UNIQUE constraint failed: sources"), std::string::npos) << message;
    EXPECT_NE(message.find("catalog.sqlite"), std::string::npos) << message;
    EXPECT_NE(message.find("unchanged"), std::string::npos) << message;

    auto runs = catalog.recent_runs(10);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].run.day, "2026-11-01");
    auto dates = catalog.annoying_file_dates();
    ASSERT_EQ(dates.size(), 1u);
    EXPECT_EQ(dates["/srv/a"].last_seen, "2026-11-01");
    EXPECT_EQ(catalog.reusable_artifact("system.tar.zst.age")->plaintext_digest, digest_of(1));

    // Annoying files are written last: a duplicate artifact name fails before them.
    RunResult duplicate_artifact = published_run(3, {"/srv/c"}, 3);
    duplicate_artifact.sources[1].artifacts.push_back(duplicate_artifact.sources[1].artifacts[0]);
    EXPECT_THROW(catalog.record(duplicate_artifact), CatalogError);
    EXPECT_EQ(catalog.recent_runs(10).size(), 1u);
    EXPECT_EQ(catalog.annoying_file_dates().size(), 1u);

    // And the catalog still takes the next good run.
    catalog.record(published_run(4, {"/srv/a"}));
    EXPECT_EQ(catalog.recent_runs(10).size(), 2u);
}

TEST(Catalog, NewAndGoneAnnoyingFilesOverThreeRunsKeepFirstSeen) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    const std::string odd("/etc/\xff\nodd", 10); // paths are bytes

    RunResult one = published_run(1, {"/etc/a", odd});
    catalog.fill_annoying_changes(one);
    EXPECT_EQ(one.new_annoying_files, (Paths{"/etc/a", odd})); // nothing before: all new
    EXPECT_TRUE(one.gone_annoying_files.empty());
    catalog.record(one);

    RunResult two = published_run(2, {odd, "/etc/c"});
    catalog.fill_annoying_changes(two);
    EXPECT_EQ(two.new_annoying_files, (Paths{"/etc/c"}));
    EXPECT_EQ(two.gone_annoying_files, (Paths{"/etc/a"}));
    catalog.record(two);

    // A run that failed before its scan ended compares with nothing and changes nothing.
    RunResult failed = published_run(3, {});
    failed.status = RunStatus::failed;
    failed.failure = "disk full";
    failed.annoying_files_scanned = false;
    catalog.fill_annoying_changes(failed);
    EXPECT_TRUE(failed.new_annoying_files.empty());
    EXPECT_TRUE(failed.gone_annoying_files.empty());
    catalog.record(failed);

    RunResult three = published_run(4, {"/etc/c", "/etc/a"});
    catalog.fill_annoying_changes(three);
    EXPECT_EQ(three.new_annoying_files, (Paths{"/etc/a"})); // back again: new since last run
    EXPECT_EQ(three.gone_annoying_files, (Paths{odd}));
    catalog.record(three);

    auto dates = catalog.annoying_file_dates();
    ASSERT_EQ(dates.size(), 3u);
    EXPECT_EQ(dates["/etc/a"].first_seen, "2026-11-01"); // kept across the gap
    EXPECT_EQ(dates["/etc/a"].last_seen, "2026-11-04");
    EXPECT_EQ(dates[odd].first_seen, "2026-11-01");
    EXPECT_EQ(dates[odd].last_seen, "2026-11-02");
    EXPECT_EQ(dates["/etc/c"].first_seen, "2026-11-02");
    EXPECT_EQ(dates["/etc/c"].last_seen, "2026-11-04");

    // A scan that found nothing is a set too: everything is gone.
    RunResult empty = published_run(5, {});
    catalog.record(empty);
    RunResult after = published_run(6, {"/etc/c"});
    catalog.fill_annoying_changes(after);
    EXPECT_EQ(after.new_annoying_files, (Paths{"/etc/c"}));
    EXPECT_TRUE(after.gone_annoying_files.empty());
}

TEST(Catalog, ReuseDigestComesOnlyFromTheNewestPublishedRun) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    EXPECT_FALSE(catalog.reusable_artifact("system.tar.zst.age")); // empty catalog

    catalog.record(published_run(1, {}, 1));
    RunResult failed = published_run(2, {}, 2);
    failed.status = RunStatus::failed; // wrote an artifact, then failed: nothing published
    catalog.record(failed);
    auto reusable = catalog.reusable_artifact("system.tar.zst.age");
    ASSERT_TRUE(reusable);
    EXPECT_EQ(reusable->day, "2026-11-01");
    EXPECT_EQ(reusable->plaintext_digest, digest_of(1));
    EXPECT_EQ(reusable->sha256, digest_of(20));
    EXPECT_EQ(reusable->bytes, 12'000'000u);
    EXPECT_FALSE(catalog.reusable_artifact("files.tar.zst.age")); // no digest recorded
    EXPECT_FALSE(catalog.reusable_artifact("spool-mail.tar.zst.age"));

    RunResult degraded = published_run(3, {}, 3);
    degraded.status = RunStatus::degraded;
    catalog.record(degraded);
    EXPECT_EQ(catalog.reusable_artifact("system.tar.zst.age")->day, "2026-11-03");

    // The newest published tree lacks the artifact: nothing to link from, even if older had it.
    RunResult without = published_run(4, {});
    without.sources.pop_back();
    catalog.record(without);
    EXPECT_FALSE(catalog.reusable_artifact("system.tar.zst.age"));
}

TEST(Catalog, OnlineBackupIsAPrivateConsistentCopy) {
    TempDir dir;
    Catalog catalog = Catalog::open(settings_for(dir / "catalog.sqlite"));
    catalog.record(published_run(1, {"/etc/a"}));
    fs::path copy = dir / "catalog-before-run.sqlite";
    catalog.backup_to(copy);
    catalog.record(published_run(2, {"/etc/b"})); // after the backup: not in the copy
    EXPECT_EQ(mode_of(copy), 0600u);

    auto opened = Catalog::open_existing(settings_for(copy));
    ASSERT_TRUE(opened);
    EXPECT_EQ(opened->schema_version(), offstage::catalog::schema::current_version);
    auto runs = opened->recent_runs(10);
    ASSERT_EQ(runs.size(), 1u);
    EXPECT_EQ(runs[0].run.day, "2026-11-01");
    EXPECT_EQ(opened->annoying_file_dates().count("/etc/a"), 1u);

    std::string message = error_of([&] { catalog.backup_to(copy); });
    EXPECT_NE(message.find(copy.string()), std::string::npos) << message;
    EXPECT_NE(message.find("File exists"), std::string::npos) << message;
}

TEST(Catalog, ALockHeldPastTheBusyTimeoutIsAClearError) {
    TempDir dir;
    fs::path path = dir / "catalog.sqlite";
    Catalog catalog = Catalog::open(settings_for(path));
    catalog.record(published_run(1, {}));

    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    auto started = std::chrono::steady_clock::now();
    std::string message = error_of([&] { catalog.record(published_run(2, {})); });
    auto waited = std::chrono::steady_clock::now() - started;
    EXPECT_NE(message.find("locked by another process (waited 300 ms)"), std::string::npos)
        << message;
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_GE(waited, std::chrono::milliseconds(250)); // it did wait its budget
    // WAL: a reader is not blocked by the writer.
    EXPECT_EQ(catalog.recent_runs(10).size(), 1u);
    sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(other);
    catalog.record(published_run(2, {}));
    EXPECT_EQ(catalog.recent_runs(10).size(), 2u);
}

TEST(Catalog, OpenFailuresNameTheFile) {
    TempDir dir;
    fs::path deep = dir / "missing" / "deeper" / "catalog.sqlite";
    std::string message = error_of([&] { Catalog::open(settings_for(deep)); });
    EXPECT_NE(message.find(deep.string()), std::string::npos) << message;

    fs::create_directory(dir / "a-directory");
    message = error_of([&] { Catalog::open(settings_for(dir / "a-directory")); });
    EXPECT_NE(message.find("a-directory is not a regular file"), std::string::npos) << message;

    write_file(dir / "real.sqlite", "");
    fs::create_symlink(dir / "real.sqlite", dir / "link.sqlite");
    message = error_of([&] { Catalog::open(settings_for(dir / "link.sqlite")); });
    EXPECT_NE(message.find("link.sqlite is not a regular file"), std::string::npos) << message;

    write_file(dir / "garbage.sqlite", std::string(4096, 'x'));
    message = error_of([&] { Catalog::open(settings_for(dir / "garbage.sqlite")); });
    EXPECT_NE(message.find("garbage.sqlite"), std::string::npos) << message;
    EXPECT_NE(message.find("not a database"), std::string::npos) << message;

    EXPECT_FALSE(Catalog::open_existing(settings_for(dir / "absent.sqlite")));
    EXPECT_FALSE(fs::exists(dir / "absent.sqlite")); // open_existing creates nothing
}
