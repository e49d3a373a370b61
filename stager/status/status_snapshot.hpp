// Everything the status page and the metrics show, read once: the catalog's runs, pulls and
// annoying files, the served trees, and the pull check computed from them. Both outputs are
// pure functions of a snapshot, so a test can render any catalog without a clock or a disk.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "stager/report/run_result.hpp"
#include "stager/status/status_settings.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::status {

// How many runs the page's history and the metrics look at: more than a year of daily runs.
inline constexpr std::size_t history_runs = 400;
// How many pulls the page lists and the pull check reads.
inline constexpr std::size_t history_pulls = 1000;

// Annoying files of one directory (the path up to its last '/').
struct DirectoryCount {
    std::string directory;
    std::size_t files = 0;
    std::vector<std::string> names; // only with show_names, at most names_per_directory
};

struct AnnoyingSummary {
    bool scanned = false;    // some run scanned: the numbers below mean something
    std::size_t current = 0; // listed by the newest scan
    std::size_t fresh = 0;   // of them, first seen by it
    std::size_t gone = 0;    // listed by the scan before it, not by it
    std::vector<DirectoryCount> fresh_directories; // most files first
    std::vector<DirectoryCount> gone_directories;
};

// The complete trees of the served root, as `offstage status` reads them.
struct TreeState {
    std::vector<std::string> complete_days; // oldest first
    std::optional<std::chrono::system_clock::time_point> newest_signed_at;
    std::string error; // the root could not be read
};

struct StatusSnapshot {
    std::chrono::system_clock::time_point now;
    std::string host;
    std::filesystem::path catalog_path;
    bool catalog_exists = false;
    std::uint64_t catalog_bytes = 0; // the database with its -wal file
    std::filesystem::path staging_root;
    TreeState trees;
    std::vector<catalog::RecordedRun> runs; // newest first, at most history_runs
    std::vector<catalog::PullRecord> pulls; // newest first, at most history_pulls
    report::PullCheck pull_check;
    AnnoyingSummary annoying;
    std::size_t keep = 2;
    bool show_names = false;
    std::vector<std::string> notes; // trouble reading something, shown on the page
};

inline constexpr std::size_t names_per_directory = 20;

TreeState read_trees(const std::filesystem::path& staging_root);

// Reads `catalog` (nullptr: there is none yet) and the served trees.
StatusSnapshot take_snapshot(const catalog::Catalog* catalog,
                             const std::filesystem::path& catalog_path,
                             const std::filesystem::path& staging_root,
                             const StatusSettings& settings,
                             std::chrono::system_clock::time_point now);

} // namespace offstage::status
