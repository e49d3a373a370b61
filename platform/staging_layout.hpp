// The staging tree's contract, shared by `offstage` and `offstage-shell`: default paths, the
// day-name grammar and the hidden work-directory prefixes. docs/staging-tree.md is the spec;
// a name spelled anywhere else is a bug.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace offstage::platform::staging_layout {

inline constexpr std::string_view default_config_path = "/etc/offstage/offstage.toml";
inline constexpr std::string_view default_staging_root = "/srv/offstage";
inline constexpr std::string_view default_backup_lock = "/run/offstage/backup.lock";
inline constexpr std::string_view default_run_lock = "/run/offstage/run.lock";
inline constexpr std::string_view default_state_dir = "/var/lib/offstage";
inline constexpr std::string_view default_signing_key = "/var/lib/offstage/signing.key";
// The forced shell appends a receipt per successful pull; the stager imports and empties it.
inline constexpr std::string_view default_receipts_file = "/var/log/offstage/receipts";

// A run in progress (`.incoming-DAY-XXXXXX`) and a tree on its way out (`.retired-...`), both
// in the work root. The forced shell refuses any name that merely starts with ".incoming"
// (`work_dir_fence`), a wider net than the stager needs.
inline constexpr std::string_view work_dir_prefix = ".incoming-";
inline constexpr std::string_view retired_dir_prefix = ".retired-";
inline constexpr std::string_view work_dir_fence = ".incoming";

inline constexpr std::string_view sums_name = "SHA256SUMS";
inline constexpr std::string_view signature_name = "SHA256SUMS.minisig";
inline constexpr std::string_view report_name = "report.json";

// YYYY-MM-DD naming a real calendar date (leap years included).
bool is_day_name(std::string_view name);

// A name the forced shell never serves: starts with `work_dir_fence`.
bool is_fenced_name(std::string_view name);

// The default work root: the served root's sibling `ROOT.work` (same filesystem in the usual
// case; `policy check` and the run verify it).
std::filesystem::path default_work_root(const std::filesystem::path& staging_root);

} // namespace offstage::platform::staging_layout
