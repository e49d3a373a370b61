// RunResults for the catalog tests, as a run would fill them.
#pragma once

#include "stager/report/run_result.hpp"

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

namespace offstage::test {

inline report::Digest digest_of(std::uint8_t seed) {
    report::Digest digest{};
    for (std::size_t i = 0; i < digest.size(); ++i) {
        digest[i] = static_cast<std::uint8_t>(seed * 31 + i);
    }
    return digest;
}

// 03:00:00 UTC of a day in November 2026, plus `seconds`.
inline std::chrono::system_clock::time_point november(int day, int seconds = 0) {
    // 2026-11-01T00:00:00Z
    return std::chrono::system_clock::from_time_t(1793491200) + std::chrono::hours(24 * (day - 1)) +
           std::chrono::hours(3) + std::chrono::seconds(seconds);
}

inline std::string day_name(int day) {
    return "2026-11-" + std::string(day < 10 ? "0" : "") + std::to_string(day);
}

// A published run of `day` with a files and a system source; `annoying` is the scan's set.
inline report::RunResult published_run(int day, std::vector<std::string> annoying,
                                       std::uint8_t system_seed = 1) {
    report::RunResult run;
    run.day = day_name(day);
    run.host = "host.example";
    run.offstage_version = "0.1.0";
    run.started_at = november(day);
    run.finished_at = november(day, 754);
    run.status = report::RunStatus::complete;

    report::SourceResult files;
    files.name = "files";
    files.kind = "files";
    files.duration = std::chrono::duration<double>(700.25);
    files.counts = {{"entries", 12345}, {"annoying_files", annoying.size()}};
    files.artifacts.push_back(
        {"files.tar.zst.age", 1'500'000'000, digest_of(10), std::nullopt, false});
    report::SourceResult system;
    system.name = "system";
    system.kind = "system";
    system.duration = std::chrono::duration<double>(2.5);
    system.artifacts.push_back(
        {"system.tar.zst.age", 12'000'000, digest_of(20), digest_of(system_seed), false});
    run.sources = {files, system};

    std::sort(annoying.begin(), annoying.end());
    for (std::string& path : annoying) {
        run.annoying_files.push_back({std::move(path)});
    }
    run.annoying_files_scanned = true;
    return run;
}

} // namespace offstage::test
