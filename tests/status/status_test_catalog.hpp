// Catalogs for the status tests, filled as weeks of real runs would fill them: daily runs with
// a files, a system, a catalog and a spool source, a degraded spool every fifth day, a failed
// run every ninth (nothing published, a reason that names a host path), annoying files that
// come and go (one of them a secret name, one with markup and an escape byte), and the
// provider's receipts the day after each tree except the newest.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace offstage::test {

using StatusClock = std::chrono::system_clock;

// 2026-09-01T03:00:00Z
inline StatusClock::time_point history_start() {
    return StatusClock::from_time_t(1788231600);
}

inline std::string utc_day(StatusClock::time_point when) {
    std::time_t seconds = StatusClock::to_time_t(when);
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
    return text;
}

inline const std::string secret_name = "/srv/data/hr/layoffs-2027.ods";
inline const std::string hostile_name = "/tmp/<script>alert(1)</script>\x1b[31m.txt";
inline const std::string failure_path = "/srv/offstage.work/.incoming-x/files.tar.zst.age";

enum class HistoryShape { normal, first_failed };

struct FilledHistory {
    std::vector<std::string> published_days; // oldest first
    StatusClock::time_point last_finished;
    report::RunStatus last_status = report::RunStatus::failed;
};

// `count` runs, one per day from history_start(); run i (0-based) fails when i % 9 == 8 (and
// run 0 with first_failed), has its spool degraded when i % 5 == 4. Receipts: a whole pull of
// each published day but the newest, two hours after it was published.
inline FilledHistory fill_history(catalog::Catalog& catalog, int count,
                                  HistoryShape shape = HistoryShape::normal) {
    FilledHistory filled;
    std::vector<catalog::PullRecord> pulls;
    for (int i = 0; i < count; ++i) {
        report::RunResult run;
        run.started_at = history_start() + std::chrono::hours(24 * i);
        run.day = utc_day(run.started_at);
        run.host = "host.example";
        run.offstage_version = "0.1.0";
        bool failed = i % 9 == 8 || (i == 0 && shape == HistoryShape::first_failed);
        double files_seconds = 600 + (i % 7) * 40;
        run.finished_at =
            run.started_at + std::chrono::seconds(static_cast<int>(files_seconds) + 30);
        report::SourceResult files;
        files.name = files.kind = "files";
        files.duration = std::chrono::duration<double>(files_seconds);
        files.artifacts.push_back({"files.tar.zst.age",
                                   1'400'000'000ull + static_cast<std::uint64_t>(i) * 3'000'000,
                                   {},
                                   std::nullopt,
                                   false});
        report::SourceResult system;
        system.name = system.kind = "system";
        system.duration = std::chrono::duration<double>(2.5 + (i % 3));
        system.artifacts.push_back(
            {"system.tar.zst.age", 12'000'000, {}, std::nullopt, i % 2 == 1});
        report::SourceResult spool;
        spool.name = "spool-mail";
        spool.kind = "spool";
        spool.duration = std::chrono::duration<double>(i % 5 == 4 ? 300 : 4);
        if (i % 5 == 4) {
            spool.fail(report::ReasonCode::lock_timeout,
                       "/var/spool/mail.lock held for 300 s by pid 4242");
        } else {
            spool.artifacts.push_back(
                {"spool-mail.tar.zst.age", 80'000'000, {}, std::nullopt, false});
        }
        if (failed) {
            files.fail(report::ReasonCode::output_failed,
                       "write " + failure_path + ": No space left on device");
            run.sources = {files};
            run.status = report::RunStatus::failed;
            run.failure = "source files: write " + failure_path + ": No space left on device";
        } else {
            std::vector<std::string> annoying = {"/etc/cron.d/local-job", "/srv/data/report.csv",
                                                 secret_name};
            for (int k = 0; k < i % 4; ++k) {
                annoying.push_back("/var/lib/app/cache/item-" + std::to_string(i) + "-" +
                                   std::to_string(k));
            }
            if (i % 6 == 0) {
                annoying.push_back(hostile_name);
            }
            std::sort(annoying.begin(), annoying.end());
            for (const std::string& path : annoying) {
                run.annoying_files.push_back({path});
            }
            run.annoying_files_scanned = true;
            files.counts = {{"entries", 50000}, {"annoying_files", annoying.size()}};
            run.sources = {files, system, spool};
            run.status = run.status_from_sources();
            filled.published_days.push_back(run.day);
            pulls.push_back(
                {run.finished_at + std::chrono::hours(2), "192.0.2.7", run.day, true, 0});
        }
        catalog.fill_annoying_changes(run);
        catalog.record(run);
        filled.last_finished = run.finished_at;
        filled.last_status = run.status;
    }
    if (!pulls.empty()) {
        pulls.pop_back(); // the newest tree is not pulled yet
        // Only receipts that happened before the last run ended: the catalog is read then.
        std::erase_if(pulls, [&](const catalog::PullRecord& pull) {
            return pull.finished_at > filled.last_finished;
        });
        catalog.record_pulls(pulls);
    }
    return filled;
}

// A served staging root holding `days` as complete trees (a day directory with a signature).
inline void make_staging_root(const std::filesystem::path& root,
                              const std::vector<std::string>& days) {
    std::filesystem::create_directories(root);
    std::filesystem::create_directories(root.string() + ".work");
    ::chmod((root.string() + ".work").c_str(), 0700);
    for (const std::string& day : days) {
        std::filesystem::create_directories(root / day);
        write_file(root / day / "SHA256SUMS.minisig", "untrusted comment: test\n");
    }
}

} // namespace offstage::test
