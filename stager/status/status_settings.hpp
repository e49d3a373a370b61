// [status] of offstage.toml (and [shell] receipts_file, [staging] keep) as the status page, the
// metrics and the receipts import take them (docs/status-page.md, offstage.toml(5)).
#pragma once

#include "platform/config_file.hpp"
#include "platform/staging_layout.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace offstage::status {

// Debian's prometheus-node-exporter reads *.prom files of this directory (its textfile
// collector's default).
inline constexpr std::string_view default_metrics_file =
    "/var/lib/prometheus/node-exporter/offstage.prom";
inline constexpr std::chrono::seconds default_pull_deadline{26 * 3600};

struct StatusSettings {
    std::filesystem::path html_dir; // [status] html_dir; empty: no page after a run
    std::string html_group;         // [status] html_group; empty: root's group, 0640
    bool show_names = false;        // [status] show_names: name host files on the page
    std::filesystem::path metrics_file{std::string(default_metrics_file)}; // empty: none
    std::chrono::seconds pull_deadline = default_pull_deadline;            // [status]
    std::filesystem::path receipts_file{
        std::string(platform::staging_layout::default_receipts_file)}; // [shell]; empty: none
    std::size_t keep = 2; // [staging] keep: the trees of the retention window

    // The settings of a loaded (already checked) file, with the defaults above.
    static StatusSettings from(const platform::ConfigFile& file);
};

} // namespace offstage::status
