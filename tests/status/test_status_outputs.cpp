// The status outputs (stager/status): the pull check, the receipts from the forced shell's
// writer to the catalog, and the page, the textfile and the mail's Pulls section on catalogs
// with 0 runs, 1 run, a failed first run and 400 runs, each checked by a real parser.
#include "forced-shell/pull_receipt.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/mail/report_mail.hpp"
#include "stager/status/pull_check.hpp"
#include "stager/status/receipt_import.hpp"
#include "stager/status/status_metrics.hpp"
#include "stager/status/status_outputs.hpp"
#include "stager/status/status_page.hpp"
#include "tests/status/status_test_catalog.hpp"
#include "tests/status/status_test_tools.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <ctime>
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;
using catalog::Catalog;
using catalog::PullRecord;
using catalog::RecordedRun;
using forced_shell::PullReceipt;
using std::chrono::hours;

catalog::CatalogSettings catalog_at(const fs::path& path) {
    catalog::CatalogSettings settings;
    settings.path = path;
    return settings;
}

RecordedRun published(std::int64_t id, const std::string& day, StatusClock::time_point at,
                      report::RunStatus status = report::RunStatus::complete) {
    RecordedRun recorded;
    recorded.id = id;
    recorded.run.day = day;
    recorded.run.status = status;
    recorded.run.finished_at = at;
    return recorded;
}

const StatusClock::time_point t0 = history_start();
const std::chrono::seconds deadline{26 * 3600};

TEST(PullCheck, NothingPublishedIsNothingToPull) {
    report::PullCheck check = status::check_pulls({}, {}, deadline, t0);
    EXPECT_EQ(check.newest_day, "");
    EXPECT_FALSE(check.overdue);
    check = status::check_pulls({published(1, "2026-09-01", t0, report::RunStatus::failed)}, {},
                                deadline, t0 + hours(100));
    EXPECT_EQ(check.newest_day, "");
    EXPECT_FALSE(check.overdue);
}

TEST(PullCheck, AProviderThatStopsIsOverdueEvenThoughATreeIsPublishedDaily) {
    std::vector<RecordedRun> runs = {published(1, "2026-09-01", t0),
                                     published(2, "2026-09-02", t0 + hours(24)),
                                     published(3, "2026-09-03", t0 + hours(48))};
    std::vector<PullRecord> pulls = {{t0 + hours(2), "192.0.2.7", "2026-09-01", true, 0}};
    // The day-2 tree has waited 25 h at the third run: within the deadline.
    report::PullCheck check = status::check_pulls(runs, pulls, deadline, t0 + hours(49));
    EXPECT_EQ(check.newest_day, "2026-09-03");
    EXPECT_EQ(check.last_pulled_day, "2026-09-01");
    EXPECT_EQ(check.waiting_day, "2026-09-02");
    EXPECT_FALSE(check.newest_pulled_at);
    EXPECT_FALSE(check.overdue);
    // An hour later it is 26 h and a second: overdue, although the newest tree is young.
    check = status::check_pulls(runs, pulls, deadline, t0 + hours(50) + std::chrono::seconds(1));
    EXPECT_TRUE(check.overdue);
    // A pull of the newest tree catches the provider up.
    pulls.push_back({t0 + hours(49), "192.0.2.7", "2026-09-03", true, 0});
    check = status::check_pulls(runs, pulls, deadline, t0 + hours(80));
    EXPECT_FALSE(check.overdue);
    EXPECT_EQ(check.waiting_day, "");
    ASSERT_TRUE(check.newest_pulled_at);
    EXPECT_EQ(*check.newest_pulled_at, t0 + hours(49));
}

TEST(PullCheck, OnlyAWholePullAfterThePublicationCounts) {
    std::vector<RecordedRun> runs = {published(1, "2026-09-01", t0),
                                     published(2, "2026-09-01", t0 + hours(5))}; // replaced
    std::vector<PullRecord> pulls = {
        {t0 + hours(2), "192.0.2.7", "2026-09-01", true, 0},  // the replaced tree
        {t0 + hours(6), "192.0.2.7", "2026-09-01", false, 0}, // only a part of the new one
    };
    report::PullCheck check = status::check_pulls(runs, pulls, deadline, t0 + hours(40));
    EXPECT_EQ(check.last_pulled_day, "");
    EXPECT_EQ(check.waiting_day, "2026-09-01");
    EXPECT_EQ(*check.waiting_since, t0 + hours(5));
    EXPECT_TRUE(check.overdue);
    ASSERT_TRUE(check.last_pull_at); // a pull happened, just not of the tree
    // A pull of the whole root takes every tree published before it.
    pulls.push_back({t0 + hours(7), "2001:db8::7", "*", true, 0});
    check = status::check_pulls(runs, pulls, deadline, t0 + hours(40));
    EXPECT_EQ(check.last_pulled_day, "2026-09-01");
    EXPECT_FALSE(check.overdue);
}

TEST(PullReceipts, TheShellsLinesAreWhatTheStagerReads) {
    EXPECT_EQ(
        PullReceipt::served({"2026-11-22/", "", "/2026-11-23", "2026-11-22/./files.tar.zst.age",
                             "2026-11-22", "..x", "2026-13-01/", "2026-11-24/."}),
        (std::vector<std::string>{"2026-11-22", "*", "2026-11-23", "2026-11-22:part",
                                  "2026-11-24"}));
    EXPECT_EQ(PullReceipt::address("192.0.2.7"), "192.0.2.7");
    EXPECT_EQ(PullReceipt::address("2001:db8::1"), "2001:db8::1");
    EXPECT_EQ(PullReceipt::address("evil\nclient=1"), "-");
    EXPECT_EQ(PullReceipt::address("fe80::1%eth0"), "-");

    std::string line = PullReceipt::line(StatusClock::from_time_t(1795323609), "192.0.2.7", 0,
                                         {"2026-11-22", "*", "2026-11-23:part"});
    EXPECT_EQ(line, "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 "
                    "served=2026-11-22,*,2026-11-23:part\n");
    status::ParsedReceipts parsed = status::parse_receipts(line);
    EXPECT_EQ(parsed.lines, 1u);
    EXPECT_EQ(parsed.malformed, 0u);
    ASSERT_EQ(parsed.pulls.size(), 3u);
    EXPECT_EQ(parsed.pulls[0].served, "2026-11-22");
    EXPECT_TRUE(parsed.pulls[0].whole);
    EXPECT_EQ(parsed.pulls[1].served, "*");
    EXPECT_EQ(parsed.pulls[2].served, "2026-11-23");
    EXPECT_FALSE(parsed.pulls[2].whole);
    EXPECT_EQ(parsed.pulls[0].client, "192.0.2.7");
    EXPECT_EQ(parsed.pulls[0].finished_at, StatusClock::from_time_t(1795323609));
}

TEST(PullReceipts, ALineThatIsNotExactlyAReceiptIsCountedNotUsed) {
    const std::string good =
        "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=2026-11-22\n";
    for (std::string bad : {
             "offstage-receipt/2 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=2026-11-22",
             "offstage-receipt/1 2026-11-22 05:00:09Z client=192.0.2.7 status=0 served=2026-11-22",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=evil status=0 served=2026-11-22",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=x served=2026-11-22",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=2026-13-01",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=../etc",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 "
             "served=2026-11-22,<b>",
             "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 "
             "served=2026-11-22 extra",
         }) {
        status::ParsedReceipts parsed = status::parse_receipts(good + bad + "\n" + good);
        EXPECT_EQ(parsed.lines, 2u) << bad;
        EXPECT_EQ(parsed.malformed, 1u) << bad;
        EXPECT_EQ(parsed.pulls.size(), 2u) << bad;
    }
    // A last line the shell was cut off writing.
    status::ParsedReceipts cut = status::parse_receipts(good + good.substr(0, 30));
    EXPECT_EQ(cut.lines, 1u);
    EXPECT_EQ(cut.malformed, 1u);
}

TEST(PullReceipts, TheShellAppendsUnderALockWithinItsBoundAndNeverCreatesOrFollows) {
    TempDir dir;
    fs::path file = dir / "receipts";
    std::string line = PullReceipt::line(t0, "192.0.2.7", 0, {"2026-09-01"});
    PullReceipt::append(file, line); // no file: no receipt, no error
    EXPECT_FALSE(fs::exists(file));

    write_file(dir / "elsewhere", "");
    fs::create_symlink(dir / "elsewhere", file);
    EXPECT_THROW(PullReceipt::append(file, line), std::system_error);
    EXPECT_EQ(read_file(dir / "elsewhere"), "");
    fs::remove(file);

    write_file(file, "");
    PullReceipt::append(file, line);
    PullReceipt::append(file, line);
    EXPECT_EQ(read_file(file), line + line);

    // Full: the receipt is refused, the file keeps its bound.
    write_file(file, std::string(PullReceipt::max_file_bytes - 10, 'x'));
    try {
        PullReceipt::append(file, line);
        ADD_FAILURE() << "a full receipts file took another line";
    } catch (const std::system_error& error) {
        EXPECT_NE(std::string(error.what()).find("full"), std::string::npos) << error.what();
    }
    EXPECT_EQ(fs::file_size(file), PullReceipt::max_file_bytes - 10);
}

TEST(PullReceipts, TheImportRecordsEachReceiptOnceAndEmptiesTheFile) {
    TempDir dir;
    Catalog catalog = Catalog::open(catalog_at(dir / "catalog.sqlite"));
    fs::path file = dir / "receipts";
    EXPECT_EQ(status::import_receipts(file, catalog).lines, 0u); // no file: nothing
    std::string a = PullReceipt::line(t0 + hours(2), "192.0.2.7", 0, {"2026-09-01"});
    std::string b = PullReceipt::line(t0 + hours(26), "192.0.2.7", 0, {"*"});
    write_file(file, a + "garbage\n" + b);
    status::ReceiptImport imported = status::import_receipts(file, catalog);
    EXPECT_EQ(imported.lines, 2u);
    EXPECT_EQ(imported.malformed, 1u);
    EXPECT_EQ(imported.added, 2u);
    EXPECT_EQ(fs::file_size(file), 0u);
    // The same receipts again (a crash before the file was emptied): one row each.
    write_file(file, a + b);
    EXPECT_EQ(status::import_receipts(file, catalog).added, 0u);
    std::vector<PullRecord> pulls = catalog.recent_pulls(10);
    ASSERT_EQ(pulls.size(), 2u);
    EXPECT_EQ(pulls[0].served, "*");
    EXPECT_EQ(pulls[1].served, "2026-09-01");

    // The import waits for the shell's lock, so no receipt appended meanwhile is lost.
    write_file(file, a);
    int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    pid_t child = ::fork();
    if (child == 0) {
        ::usleep(300'000);
        std::string late = PullReceipt::line(t0 + hours(50), "192.0.2.8", 0, {"2026-09-03"});
        [[maybe_unused]] ssize_t ignored = ::write(fd, late.data(), late.size());
        ::flock(fd, LOCK_UN);
        ::_exit(0);
    }
    ::close(fd);
    imported = status::import_receipts(file, catalog);
    int wait_status = 0;
    ::waitpid(child, &wait_status, 0);
    EXPECT_EQ(imported.lines, 2u); // a, and the line written while the import waited
    EXPECT_EQ(catalog.recent_pulls(10).front().client, "192.0.2.8");
}

TEST(PullReceipts, TheCatalogKeepsOnlyTheNewestPulls) {
    TempDir dir;
    Catalog catalog = Catalog::open(catalog_at(dir / "catalog.sqlite"));
    std::vector<PullRecord> pulls;
    for (std::size_t i = 0; i < Catalog::max_pulls + 5; ++i) {
        pulls.push_back({t0 + std::chrono::seconds(i), "192.0.2.7", "*", true, 0});
    }
    EXPECT_EQ(catalog.record_pulls(pulls), Catalog::max_pulls + 5);
    std::vector<PullRecord> kept = catalog.recent_pulls(Catalog::max_pulls + 100);
    ASSERT_EQ(kept.size(), Catalog::max_pulls);
    EXPECT_EQ(kept.front().finished_at, t0 + std::chrono::seconds(Catalog::max_pulls + 4));
    EXPECT_EQ(kept.back().finished_at, t0 + std::chrono::seconds(5));
}

// One catalog of each shape the issue names, its outputs rendered and checked.
struct Shape {
    const char* name;
    int runs;
    HistoryShape shape;
};

class StatusOutputsOn : public testing::TestWithParam<Shape> {};

TEST_P(StatusOutputsOn, ThePageTheTextfileAndTheMailAreValid) {
    if (std::string missing =
            python_module_missing("html5lib") + python_module_missing("prometheus_client");
        !missing.empty()) {
        GTEST_SKIP() << missing;
    }
    const Shape shape = GetParam();
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    Catalog catalog = Catalog::open(catalog_at(catalog_path));
    FilledHistory filled = fill_history(catalog, shape.runs, shape.shape);
    std::vector<std::string> kept = filled.published_days;
    if (kept.size() > 2) {
        kept.erase(kept.begin(), kept.end() - 2);
    }
    make_staging_root(dir / "staging", kept);

    status::StatusSettings settings;
    StatusClock::time_point now =
        (shape.runs == 0 ? t0 : filled.last_finished) + hours(27); // the newest is overdue
    status::RefreshResult result =
        status::refresh(&catalog, catalog_path, dir / "staging", settings,
                        {dir / "www", dir / "metrics" / "offstage.prom", false}, now);
    fs::create_directories(dir / "metrics");
    result = status::refresh(&catalog, catalog_path, dir / "staging", settings,
                             {dir / "www", dir / "metrics" / "offstage.prom", false}, now);
    EXPECT_TRUE(result.notes.empty()) << result.notes.front();

    fs::path page = dir / "www" / "index.html";
    std::string html = read_file(page);
    EXPECT_EQ(html_problems(page), "");
    EXPECT_EQ(html.find(secret_name), std::string::npos) << "a host file named by default";
    EXPECT_EQ(html.find("layoffs"), std::string::npos);
    EXPECT_EQ(html.find(failure_path), std::string::npos);
    EXPECT_EQ(html.find("<script>"), std::string::npos);
    EXPECT_EQ(html.find('\x1b'), std::string::npos);
    EXPECT_NE(html.find("id=\"plot-sizes\""), std::string::npos);

    nlohmann::json metrics = parsed_metrics((dir / "metrics" / "offstage.prom").string());
    EXPECT_EQ(metrics["#type offstage_last_success_timestamp_seconds"], "gauge");
    EXPECT_EQ(metrics["offstage_catalog_size_bytes{}"].get<double>(),
              static_cast<double>(result.snapshot.catalog_bytes));
    EXPECT_GT(result.snapshot.catalog_bytes, 0u);

    report::RunResult mail_run;
    if (shape.runs == 0) {
        EXPECT_EQ(html.find("data-status="), std::string::npos);
        EXPECT_NE(html.find("no run recorded yet"), std::string::npos);
        EXPECT_EQ(metrics["offstage_last_run_timestamp_seconds{}"], 0.0);
        EXPECT_EQ(metrics["offstage_last_success_timestamp_seconds{}"], 0.0);
        EXPECT_EQ(metrics["offstage_pull_overdue{}"], 0.0);
        return;
    }
    std::string status(report::to_string(filled.last_status));
    EXPECT_NE(html.find("id=\"newest-run\" data-status=\"" + status + "\""), std::string::npos);
    EXPECT_EQ(metrics["offstage_last_run_status{status=" + status + "}"], 1.0);
    double last = static_cast<double>(StatusClock::to_time_t(filled.last_finished));
    EXPECT_EQ(metrics["offstage_last_run_timestamp_seconds{}"], last);
    mail_run = catalog.recent_runs(1).front().run;
    mail_run.pulls = result.snapshot.pull_check;
    std::string body = mail::body(mail_run, mail::MailSettings{});
    EXPECT_NE(body.find("== Pulls =="), std::string::npos) << body;

    if (filled.published_days.empty()) { // the failed first run
        EXPECT_EQ(metrics["offstage_last_success_timestamp_seconds{}"], 0.0);
        EXPECT_EQ(metrics["offstage_source_consecutive_failures{source=files}"], 1.0);
        EXPECT_EQ(metrics["offstage_pull_overdue{}"], 0.0);
        EXPECT_NE(body.find("No tree has been published yet."), std::string::npos) << body;
        EXPECT_NE(html.find("class=\"failed\">failed"), std::string::npos);
        return;
    }
    // The newest tree was never pulled and has waited 27 h: overdue everywhere.
    EXPECT_EQ(metrics["offstage_pull_overdue{}"], 1.0);
    EXPECT_EQ(metrics["offstage_last_pull_timestamp_seconds{}"], 0.0);
    EXPECT_NE(html.find("data-overdue=\"1\""), std::string::npos);
    EXPECT_NE(body.find("NOT PULLED"), std::string::npos) << body;
    EXPECT_NE(mail::subject(mail_run).find("not pulled since " + filled.published_days.back()),
              std::string::npos);
    EXPECT_GT(metrics["offstage_annoying_files{}"].get<double>(), 2.0);
    EXPECT_EQ(metrics["offstage_source_bytes{source=system}"], 12'000'000.0);
    if (shape.runs > 1) {
        // The newest tree before it was pulled two hours after its run.
        EXPECT_NE(body.find("Last pull:"), std::string::npos);
        EXPECT_GT(metrics["offstage_newest_tree_timestamp_seconds{}"].get<double>(),
                  metrics["offstage_pull_waiting_since_timestamp_seconds{}"].get<double>() - 1);
    }
}

INSTANTIATE_TEST_SUITE_P(Catalogs, StatusOutputsOn,
                         testing::Values(Shape{"NoRun", 0, HistoryShape::normal},
                                         Shape{"OneRun", 1, HistoryShape::normal},
                                         Shape{"FailedFirstRun", 1, HistoryShape::first_failed},
                                         Shape{"FourHundredRuns", 400, HistoryShape::normal}),
                         [](const testing::TestParamInfo<Shape>& param) {
                             return param.param.name;
                         });

double cpu_seconds() {
    timespec now{};
    ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

TEST(StatusPage, RendersFrom400RunsInUnderASecondOfCpu) {
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    Catalog catalog = Catalog::open(catalog_at(catalog_path));
    FilledHistory filled = fill_history(catalog, 400);
    make_staging_root(dir / "staging", {filled.published_days.back()});
    status::StatusSettings settings;
    double start = cpu_seconds();
    status::StatusSnapshot snapshot = status::take_snapshot(&catalog, catalog_path, dir / "staging",
                                                            settings, filled.last_finished);
    std::string page = status::render_page(snapshot);
    std::string metrics = status::render_metrics(snapshot);
    double spent = cpu_seconds() - start;
    EXPECT_EQ(snapshot.runs.size(), 400u);
    EXPECT_LT(spent, 1.0) << "the page of 400 runs took " << spent << " s of CPU";
    EXPECT_GT(page.size(), 10000u);
    EXPECT_FALSE(metrics.empty());
}

TEST(StatusPage, NamesHostFilesOnlyWhenConfiguredAndThenEscaped) {
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    Catalog catalog = Catalog::open(catalog_at(catalog_path));
    fill_history(catalog, 1); // the first scan: every annoying file is new
    status::StatusSettings settings;
    settings.show_names = true;
    std::string page = status::render_page(
        status::take_snapshot(&catalog, catalog_path, dir / "none", settings, t0 + hours(200)));
    EXPECT_NE(page.find("layoffs-2027.ods"), std::string::npos);
    EXPECT_EQ(page.find("<script>"), std::string::npos);
    EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;\\033[31m.txt"), std::string::npos)
        << page;
    // The directory of new annoying files comes with the command that explains it.
    EXPECT_NE(page.find("offstage policy explain /srv/data/hr/"), std::string::npos);
    // The staging root could not be read: said, not fatal.
    EXPECT_NE(page.find("could not be read"), std::string::npos);
}

TEST(StatusPage, TheStylesheetMatchesTheHashItsPolicyAllows) {
    std::string page = status::render_page(status::StatusSnapshot{});
    std::string policy = status::page_content_security_policy();
    EXPECT_TRUE(policy.starts_with("default-src 'none'; style-src 'sha256-")) << policy;
    EXPECT_NE(page.find("<style>" + status::page_stylesheet() + "</style>"), std::string::npos);
    // The same hash computed by another implementation: openssl dgst over the exact bytes.
    if (::access("/usr/bin/openssl", X_OK) != 0) {
        GTEST_SKIP() << "/usr/bin/openssl is not installed (Debian package openssl)";
    }
    TempDir dir;
    write_file(dir / "style.css", status::page_stylesheet());
    CommandResult digest =
        run_command({"/bin/sh", "-c", "openssl dgst -sha256 -binary \"$0\" | openssl base64 -A",
                     (dir / "style.css").string()});
    ASSERT_EQ(digest.exit_status, 0) << digest.err;
    EXPECT_EQ(status::page_style_hash(), "'sha256-" + digest.out + "'");
}

TEST(StatusCommand, WritesThePageAndTheTextfileAtomicallyWithTheirModesAndImportsReceipts) {
    TempDir dir;
    fs::path catalog_path = dir / "catalog.sqlite";
    FilledHistory filled;
    {
        Catalog catalog = Catalog::open(catalog_at(catalog_path));
        filled = fill_history(catalog, 10);
    }
    make_staging_root(dir / "staging", {filled.published_days.back()});
    fs::path receipts =
        write_file(dir / "receipts", PullReceipt::line(StatusClock::now(), "192.0.2.9", 0,
                                                       {filled.published_days.back()}));
    struct group* daemon_group = ::getgrnam("daemon");
    ASSERT_NE(daemon_group, nullptr);
    fs::path config = write_file(dir / "offstage.toml",
                                 "[shell]\nreceipts_file = \"" + receipts.string() +
                                     "\"\n[status]\nhtml_group = \"daemon\"\nmetrics_file = \"" +
                                     (dir / "offstage.prom").string() + "\"\n");
    CommandResult result = run_command({built_program("offstage"), "--config", config, "status",
                                        "--catalog", catalog_path, "--staging-root",
                                        dir / "staging", "--html", dir / "www", "--metrics"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_EQ(result.out, "");
    struct stat info {};
    ASSERT_EQ(::stat((dir / "www" / "index.html").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0640u);
    EXPECT_EQ(info.st_gid, daemon_group->gr_gid);
    ASSERT_EQ(::stat((dir / "www").c_str(), &info), 0);
    EXPECT_EQ(info.st_gid, daemon_group->gr_gid);
    ASSERT_EQ(::stat((dir / "offstage.prom").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 07777, 0644u);
    for (const auto& entry : fs::directory_iterator(dir / "www")) {
        EXPECT_EQ(entry.path().filename(), "index.html") << "left behind: " << entry.path();
    }
    // The receipt was imported (and the file emptied): the newest tree reads as pulled.
    EXPECT_EQ(fs::file_size(receipts), 0u);
    std::string page = read_file(dir / "www" / "index.html");
    EXPECT_NE(page.find("class=\"pulled\">pulled the newest tree " + filled.published_days.back()),
              std::string::npos);
    EXPECT_NE(read_file(dir / "offstage.prom").find("offstage_pull_overdue 0"), std::string::npos);

    // A target that is a symlink is refused, and the command says so with exit status 1.
    fs::remove(dir / "offstage.prom");
    fs::create_symlink(dir / "elsewhere", dir / "offstage.prom");
    result = run_command({built_program("offstage"), "--config", config, "status", "--catalog",
                          catalog_path, "--staging-root", dir / "staging", "--metrics"});
    EXPECT_EQ(result.exit_status, 1);
    EXPECT_NE(result.err.find("not a regular file"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(dir / "elsewhere"));
}

} // namespace
} // namespace offstage::test
