// `offstage status [--json]`, the real binary on catalogs and staging roots the test builds:
// the newest complete tree first, the run lock, the runs; an empty, a missing and an unreadable
// catalog.
#include "stager/catalog/catalog.hpp"
#include "stager/staging/day_seal.hpp"
#include "stager/staging/run_lock.hpp"
#include "stager/staging/staging_tree.hpp"
#include "tests/catalog/catalog_test_runs.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <unistd.h>

namespace fs = std::filesystem;
using offstage::catalog::Catalog;
using offstage::catalog::CatalogSettings;
using offstage::report::ReasonCode;
using offstage::report::RunResult;
using offstage::report::RunStatus;
using offstage::test::built_program;
using offstage::test::CommandResult;
using offstage::test::published_run;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

class StatusCommand : public ::testing::Test {
protected:
    StatusCommand() {
        fs::create_directory(dir_ / "staging");
        // Two published trees, sealed with a real key, whose artifacts have the sizes the catalog
        // records (sparse: status never reads them).
        auto key = offstage::staging::SigningKey::create(signing_key());
        offstage::staging::StagingTree tree(dir_ / "staging", dir_ / "staging.work");
        for (const char* day : {"2026-11-01", "2026-11-02"}) {
            offstage::staging::WorkDir work = tree.begin(day);
            offstage::staging::Sha256Sums sums;
            for (const auto& [name, bytes] :
                 {std::pair<std::string, off_t>{"files.tar.zst.age", 1'500'000'000},
                  {"system.tar.zst.age", 12'000'000},
                  {"report.json", 2}}) {
                write_file(work.path() / name, "");
                fs::resize_file(work.path() / name, static_cast<std::uintmax_t>(bytes));
                sums[name] = {};
            }
            offstage::staging::seal_day(work, sums, key, "host", ::time(nullptr));
            tree.publish(work, offstage::staging::PullAccess{::getegid()});
        }
        // Not complete (no signature), and not a day: neither is the newest tree.
        write_file(dir_ / "staging" / "2026-11-03" / "SHA256SUMS", "");
        write_file(dir_ / "staging" / "notes" / "SHA256SUMS.minisig", "");
    }

    fs::path catalog_path() const { return dir_ / "catalog.sqlite"; }
    fs::path signing_key() const { return dir_ / "signing.key"; }

    Catalog open_catalog() const {
        CatalogSettings settings;
        settings.path = catalog_path();
        return Catalog::open(settings);
    }

    // Three runs: complete, degraded (a spool failed), failed (a hostile byte in its text).
    void fill_catalog() const {
        Catalog catalog = open_catalog();
        catalog.record(published_run(1, {"/etc/a"}));
        RunResult degraded = published_run(2, {"/etc/a"});
        degraded.status = RunStatus::degraded;
        offstage::report::SourceResult spool;
        spool.name = "spool-mail";
        spool.kind = "spool";
        spool.duration = std::chrono::duration<double>(600);
        spool.fail(ReasonCode::lock_timeout, "/var/spool/mail.lock");
        degraded.sources.push_back(spool);
        degraded.sources[1].artifacts[0].reused = true;
        catalog.record(degraded);
        RunResult failed = published_run(3, {});
        failed.status = RunStatus::failed;
        failed.failure = "no space left on /srv/\033[31mred";
        failed.annoying_files_scanned = false;
        catalog.record(failed);
    }

    CommandResult status(std::vector<std::string> extra = {}) const {
        std::vector<std::string> argv{built_program("offstage").string(),
                                      "status",
                                      "--catalog",
                                      catalog_path().string(),
                                      "--staging-root",
                                      (dir_ / "staging").string(),
                                      "--run-lock",
                                      (dir_ / "run.lock").string(),
                                      "--signing-key",
                                      signing_key().string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run_command(argv);
    }

    TempDir dir_;
};

} // namespace

TEST_F(StatusCommand, TextShowsTheNewestTreeFirstThenTheRuns) {
    fill_catalog();
    CommandResult result = status();
    ASSERT_EQ(result.exit_status, 0) << result.err;
    const std::string& out = result.out;
    EXPECT_TRUE(out.starts_with("Newest complete tree: 2026-11-02, signed ")) << out;
    EXPECT_NE(out.find("2 complete trees in"), std::string::npos) << out;
    EXPECT_NE(out.find("\nSeal:                 intact: signature by key "), std::string::npos)
        << out;
    EXPECT_NE(out.find(", 3 listed files present (2 with the size the catalog recorded), none "
                       "changed after signing; contents not hashed: offstage verify 2026-11-02\n"),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("Run lock:             free\n"), std::string::npos) << out;
    EXPECT_NE(
        out.find("Last run:             2026-11-03 failed: no space left on /srv/\\033[31mred"),
        std::string::npos)
        << out;
    EXPECT_EQ(out.find('\033'), std::string::npos) << "a control byte printed raw";
    EXPECT_NE(out.find("Last 3 runs, newest first"), std::string::npos) << out;
    // Newest first, one line per run, then its sources.
    std::size_t third = out.find("\n2026-11-03  2026-11-03T03:00:00Z  failed");
    std::size_t second = out.find("\n2026-11-02  2026-11-02T03:00:00Z  degraded");
    std::size_t first = out.find("\n2026-11-01  2026-11-01T03:00:00Z  complete");
    ASSERT_NE(third, std::string::npos) << out;
    ASSERT_NE(second, std::string::npos) << out;
    ASSERT_NE(first, std::string::npos) << out;
    EXPECT_LT(third, second);
    EXPECT_LT(second, first);
    EXPECT_NE(out.find("12 min 34 s     1.4 GiB  2 (1 reused)"), std::string::npos) << out;
    EXPECT_NE(out.find("spool-mail                failed (lock_timeout)"), std::string::npos)
        << out;
    EXPECT_NE(
        out.find("system                    ok                              2.5 s    11.4 MiB"),
        std::string::npos)
        << out;

    CommandResult one = status({"--runs", "1"});
    ASSERT_EQ(one.exit_status, 0) << one.err;
    EXPECT_NE(one.out.find("Last 1 run,"), std::string::npos) << one.out;
    EXPECT_EQ(one.out.find("\n2026-11-02  "), std::string::npos) << one.out;
    EXPECT_EQ(status({"--runs", "0"}).exit_status, 2);
}

TEST_F(StatusCommand, JsonIsOneDocumentedObject) {
    fill_catalog();
    CommandResult result = status({"--json"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    nlohmann::json status = nlohmann::json::parse(result.out);
    EXPECT_EQ(status["format"], "offstage-status/1");
    EXPECT_EQ(status["catalog"]["path"], catalog_path().string());
    EXPECT_EQ(status["catalog"]["exists"], true);
    EXPECT_EQ(status["staging"]["complete_days"],
              (std::vector<std::string>{"2026-11-01", "2026-11-02"}));
    EXPECT_EQ(status["staging"]["newest_complete_tree"]["day"], "2026-11-02");
    EXPECT_TRUE(status["staging"]["newest_complete_tree"]["age_seconds"].is_number_integer());
    const nlohmann::json& seal = status["staging"]["newest_complete_tree"]["seal"];
    EXPECT_EQ(seal["state"], "intact");
    EXPECT_EQ(seal["key_id"].get<std::string>().size(), 16u);
    EXPECT_TRUE(seal["key_problem"].is_null());
    EXPECT_EQ(seal["files"], 3);
    EXPECT_EQ(seal["sizes_checked"], 2);
    EXPECT_TRUE(seal["problems"].empty());
    EXPECT_TRUE(status["staging"]["error"].is_null());
    EXPECT_TRUE(status["run_lock"]["holder"].is_null());

    const nlohmann::json& runs = status["runs"];
    ASSERT_EQ(runs.size(), 3u);
    EXPECT_EQ(runs[0]["day"], "2026-11-03");
    EXPECT_EQ(runs[0]["status"], "failed");
    EXPECT_EQ(runs[0]["failure"], "no space left on /srv/\033[31mred"); // JSON escapes it
    EXPECT_EQ(runs[1]["status"], "degraded");
    EXPECT_TRUE(runs[1]["failure"].is_null());
    EXPECT_EQ(runs[1]["started_at"], "2026-11-02T03:00:00Z");
    EXPECT_EQ(runs[1]["finished_at"], "2026-11-02T03:12:34Z");
    EXPECT_DOUBLE_EQ(runs[1]["duration_seconds"].get<double>(), 754.0);
    EXPECT_EQ(runs[1]["totals"]["artifacts"], 2);
    EXPECT_EQ(runs[1]["totals"]["bytes"], 1'512'000'000u);
    EXPECT_EQ(runs[1]["totals"]["reused_artifacts"], 1);
    const nlohmann::json& sources = runs[1]["sources"];
    ASSERT_EQ(sources.size(), 3u);
    EXPECT_EQ(sources[0]["name"], "files");
    EXPECT_EQ(sources[0]["counts"]["entries"], 12345);
    EXPECT_DOUBLE_EQ(sources[0]["duration_seconds"].get<double>(), 700.25);
    EXPECT_EQ(sources[1]["artifacts"][0]["name"], "system.tar.zst.age");
    EXPECT_EQ(sources[1]["artifacts"][0]["reused"], true);
    EXPECT_EQ(sources[2]["outcome"], "failed");
    EXPECT_EQ(sources[2]["reasons"], (std::vector<std::string>{"lock_timeout"}));
    EXPECT_EQ(sources[2]["problems"][0]["detail"], "/var/spool/mail.lock");
    EXPECT_EQ(sources[2]["bytes"], 0);
}

TEST_F(StatusCommand, ShowsTheLiveRunLockHolder) {
    fill_catalog();
    auto taken = offstage::staging::RunLock::acquire(dir_ / "run.lock", std::chrono::seconds(1));
    ASSERT_TRUE(taken);
    CommandResult text = status();
    ASSERT_EQ(text.exit_status, 0) << text.err;
    std::string expected = "Run lock:             held by pid " + std::to_string(::getpid()) +
                           " of this boot, started ";
    EXPECT_NE(text.out.find(expected), std::string::npos) << text.out;

    CommandResult json = status({"--json"});
    ASSERT_EQ(json.exit_status, 0) << json.err;
    nlohmann::json holder = nlohmann::json::parse(json.out)["run_lock"]["holder"];
    EXPECT_EQ(holder["pid"], ::getpid());
    EXPECT_EQ(holder["boot_id"], offstage::staging::current_boot_id());
}

TEST_F(StatusCommand, AnEmptyCatalogSaysNoRunsYet) {
    open_catalog();
    CommandResult text = status();
    ASSERT_EQ(text.exit_status, 0) << text.err;
    EXPECT_NE(text.out.find("Last run:             no runs recorded yet (catalog " +
                            catalog_path().string() + ")"),
              std::string::npos)
        << text.out;
    EXPECT_EQ(text.out.find("DAY "), std::string::npos) << text.out; // no empty table

    CommandResult json = status({"--json"});
    ASSERT_EQ(json.exit_status, 0) << json.err;
    nlohmann::json parsed = nlohmann::json::parse(json.out);
    EXPECT_EQ(parsed["catalog"]["exists"], true);
    EXPECT_TRUE(parsed["runs"].empty());
}

TEST_F(StatusCommand, AMissingCatalogSaysNoRunsYetAndCreatesNothing) {
    CommandResult text = status();
    ASSERT_EQ(text.exit_status, 0) << text.err;
    EXPECT_NE(text.out.find("no runs recorded yet (no catalog at " + catalog_path().string()),
              std::string::npos)
        << text.out;
    EXPECT_FALSE(fs::exists(catalog_path()));

    CommandResult json = status({"--json"});
    ASSERT_EQ(json.exit_status, 0) << json.err;
    EXPECT_EQ(nlohmann::json::parse(json.out)["catalog"]["exists"], false);
    EXPECT_FALSE(fs::exists(catalog_path()));
}

TEST_F(StatusCommand, AnUnreadableCatalogIsAnErrorNamingTheFile) {
    write_file(catalog_path(), std::string(4096, 'x'));
    CommandResult garbage = status();
    EXPECT_EQ(garbage.exit_status, 1);
    EXPECT_NE(garbage.err.find(catalog_path().string()), std::string::npos) << garbage.err;
    EXPECT_NE(garbage.err.find("not a database"), std::string::npos) << garbage.err;
    EXPECT_EQ(status({"--json"}).exit_status, 1);

    fs::remove(catalog_path());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(catalog_path().c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "PRAGMA user_version = 9", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    CommandResult newer = status();
    EXPECT_EQ(newer.exit_status, 1);
    EXPECT_NE(newer.err.find(catalog_path().string() + " has schema version 9, newer"),
              std::string::npos)
        << newer.err;
}

TEST_F(StatusCommand, AStagingRootThatCannotBeReadIsShownNotFatal) {
    fill_catalog();
    std::vector<std::string> argv{built_program("offstage").string(),
                                  "status",
                                  "--catalog",
                                  catalog_path().string(),
                                  "--staging-root",
                                  (dir_ / "absent").string(),
                                  "--run-lock",
                                  (dir_ / "run.lock").string()};
    CommandResult result = run_command(argv);
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_TRUE(result.out.starts_with("Newest complete tree: unknown: staging root "))
        << result.out;
    EXPECT_NE(result.out.find("Last 3 runs"), std::string::npos) << result.out;
}

// The provider's pulls, from the receipts the catalog recorded: the newest tree pulled or not,
// the tree waiting and since when (overdue past [status] pull_deadline), and the last receipt,
// in the text and in --json; the same check as the status page's.
TEST_F(StatusCommand, ShowsWhatTheProviderPulled) {
    fill_catalog();
    using offstage::catalog::PullRecord;
    using offstage::test::november;
    open_catalog().record_pulls(
        {PullRecord{november(1, 3600), "192.0.2.7", "2026-11-01", true, 0}});
    CommandResult behind = status();
    ASSERT_EQ(behind.exit_status, 0) << behind.err;
    EXPECT_NE(behind.out.find("\nPulls:                newest tree 2026-11-02 not pulled yet; "
                              "2026-11-02 waits since 2026-11-02T03:12:34Z, OVERDUE (deadline "),
              std::string::npos)
        << behind.out;
    EXPECT_NE(behind.out.find("; last pull 2026-11-01T04:00:00Z of 2026-11-01 from 192.0.2.7\n"),
              std::string::npos)
        << behind.out;
    nlohmann::json late = nlohmann::json::parse(status({"--json"}).out)["pulls"];
    EXPECT_EQ(late["newest_day"], "2026-11-02");
    EXPECT_TRUE(late["newest_pulled_at"].is_null());
    EXPECT_EQ(late["last_pulled_day"], "2026-11-01");
    EXPECT_EQ(late["waiting_day"], "2026-11-02");
    EXPECT_EQ(late["waiting_since"], "2026-11-02T03:12:34Z");
    EXPECT_EQ(late["overdue"], true);
    EXPECT_EQ(late["deadline_seconds"], 26 * 3600);

    // The whole root pulled after 2026-11-02 was published: the provider has everything.
    open_catalog().record_pulls({PullRecord{november(2, 7200), "192.0.2.7", "*", true, 0}});
    CommandResult caught_up = status();
    EXPECT_NE(caught_up.out.find("\nPulls:                newest tree 2026-11-02 pulled at "
                                 "2026-11-02T05:00:00Z; last pull 2026-11-02T05:00:00Z of the "
                                 "whole root from 192.0.2.7\n"),
              std::string::npos)
        << caught_up.out;
    nlohmann::json pulls = nlohmann::json::parse(status({"--json"}).out)["pulls"];
    EXPECT_EQ(pulls["newest_pulled_at"], "2026-11-02T05:00:00Z");
    EXPECT_TRUE(pulls["waiting_day"].is_null());
    EXPECT_EQ(pulls["overdue"], false);
    ASSERT_EQ(pulls["recent"].size(), 2u);
    EXPECT_EQ(pulls["recent"][0]["served"], "*");
    EXPECT_EQ(pulls["recent"][1]["served"], "2026-11-01");
    EXPECT_EQ(pulls["recent"][1]["client"], "192.0.2.7");
}
