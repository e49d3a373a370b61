// What `offstage status --html/--metrics` and the end of every run do: import the forced
// shell's receipts into the catalog, take a snapshot, and replace the page and the textfile
// (docs/status-page.md). Trouble with one output never stops the others: it becomes a note.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "stager/report/run_result.hpp"
#include "stager/status/status_settings.hpp"
#include "stager/status/status_snapshot.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace offstage::status {

// The page's file in its directory.
inline constexpr std::string_view page_file_name = "index.html";

struct StatusOutputs {
    std::filesystem::path html_dir;     // empty: no page
    std::filesystem::path metrics_file; // empty: no textfile
    // A missing directory of metrics_file is skipped in silence (no node_exporter installed)
    // rather than a note: the default path is written only where the collector reads it.
    bool skip_missing_metrics_dir = false;
};

struct RefreshResult {
    StatusSnapshot snapshot;
    std::vector<std::string> notes; // what could not be done, for the run's mail or stderr
};

// Imports receipts into `catalog` (when there is one and settings.receipts_file is set), takes
// the snapshot and writes the outputs asked for.
RefreshResult refresh(catalog::Catalog* catalog, const std::filesystem::path& catalog_path,
                      const std::filesystem::path& staging_root, const StatusSettings& settings,
                      const StatusOutputs& outputs, std::chrono::system_clock::time_point now);

// Writes the page into `directory` (created 0750 when missing), mode 0640, group `group`.
void write_page(const std::filesystem::path& directory, const std::string& page,
                std::optional<gid_t> group);
// Writes the textfile, mode 0644 (node_exporter runs as its own user).
void write_metrics(const std::filesystem::path& file, const std::string& metrics);

// The end of a run: refresh with [status] html_dir and metrics_file, after the run was
// recorded; fills run.pulls for the mail and adds a note for each trouble.
void refresh_after_run(const StatusSettings& settings, const catalog::CatalogSettings& catalog,
                       const std::filesystem::path& staging_root, report::RunResult& run,
                       std::ostream& log);

} // namespace offstage::status
