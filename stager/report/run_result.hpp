// What one `offstage run` did, gathered once: report.json, the catalog row, the mail and the
// exit status are all renderings of a RunResult, so no component re-derives a fact
// (docs/staging-tree.md). Sources fill their SourceResult; the run fills the rest.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace offstage::report {

enum class Outcome { ok, degraded, failed };
std::string_view to_string(Outcome outcome); // "ok", "degraded", "failed"
inline constexpr std::array all_outcomes{Outcome::ok, Outcome::degraded, Outcome::failed};

// The reason codes of docs/staging-tree.md: a fixed list, so report.json carries no free text.
enum class ReasonCode {
    input_changed,           // files changed or vanished while read
    input_unreadable,        // files or directories that could not be read
    lock_timeout,            // a spool's lock was not released within its budget
    child_failed,            // a command exited non-zero, was killed or could not start
    child_output_incomplete, // a dump's completion marker is missing
    timeout,                 // a wait or a child ran past its budget
    output_failed,           // writing the artifact failed (disk full, I/O error)
    disabled,                // the source is configured off or its tool is missing
    volume_unavailable,      // an AFS volume the volserver lists as busy or unattachable
    integrity_check_failed,  // a database's own check of its copy failed (PRAGMA integrity_check)
    non_transactional,       // MariaDB tables without snapshots: locked, left out or unlocked
};
std::string_view to_string(ReasonCode code);
// Every value, for the readers of report.json and the catalog, which turn words back into codes:
// one list, so a code added to the enum cannot be written by one part and refused by another.
inline constexpr std::array all_reason_codes{
    ReasonCode::input_changed,
    ReasonCode::input_unreadable,
    ReasonCode::lock_timeout,
    ReasonCode::child_failed,
    ReasonCode::child_output_incomplete,
    ReasonCode::timeout,
    ReasonCode::output_failed,
    ReasonCode::disabled,
    ReasonCode::volume_unavailable,
    ReasonCode::integrity_check_failed,
    ReasonCode::non_transactional,
};
static_assert(all_reason_codes.size() ==
                  static_cast<std::size_t>(ReasonCode::non_transactional) + 1,
              "all_reason_codes lists every ReasonCode, the last one last");

// One thing that went wrong, for the mail and the encrypted full report. `detail` may name
// host paths: it never goes into report.json.
struct Problem {
    ReasonCode code;
    std::string detail;
};

using Digest = std::array<std::uint8_t, 32>;

struct ArtifactRecord {
    std::string name; // relative to the day: "files.tar.zst.age"
    std::uint64_t bytes = 0;
    Digest sha256{}; // of the encrypted file, as SHA256SUMS lists it
    // HMAC-SHA-256 of the plaintext under the host's digest key, for reuse; absent when the
    // source cannot tell its content is unchanged.
    std::optional<Digest> plaintext_digest;
    bool reused = false; // hard-linked from the previous complete tree
};

struct SourceResult {
    std::string name; // the artifact stem: "files", "system", "spool-mail", "db/mariadb/sales"
    std::string kind; // "files", "system", "spool", "mariadb", "postgresql", "sqlite", "afs"
    Outcome outcome = Outcome::ok;
    std::vector<Problem> problems;
    std::vector<ArtifactRecord> artifacts;
    std::map<std::string, std::uint64_t> counts; // "entries", "annoying_files", ...
    std::chrono::duration<double> duration{};

    // Marks the source degraded (never upgrades a failed one) with a problem.
    void degrade(ReasonCode code, std::string detail);
    // Marks it failed with a problem.
    void fail(ReasonCode code, std::string detail);
};

// An annoying file (docs/selection.md), as the run's selection saw it. Paths are bytes.
struct AnnoyingFile {
    std::string path;
};

// A policy rule and how many walked paths it decided in one scan (a directory the walk pruned
// counts once): the catalog keeps them per run so that rules matching nothing for
// `[scan] stale_rule_runs` runs are reported (docs/policy-language.md).
struct RuleMatchCount {
    std::string file; // the policy file, as the scan named it
    unsigned line = 0;
    std::string rule; // "exclude /var/cache/" (verdict and pattern as written)
    std::uint64_t matches = 0;
};

// A conffile as the run's scan saw it: its path (bytes) and the word of its state
// (manifests::to_string: "unchanged", "modified", "missing", "obsolete", "new", "unknown").
struct ConffileStatus {
    std::string path;
    std::string state;

    auto operator<=>(const ConffileStatus&) const = default;
};

// A conffile whose state differs from the one the last scanning run recorded. `before` is empty
// when the path was no conffile then (or no run recorded states yet), `after` when it is none
// now (its package was purged or no longer ships it).
struct ConffileChange {
    std::string path;
    std::string before;
    std::string after;

    bool operator==(const ConffileChange&) const = default;
};

enum class RunStatus {
    complete, // published, every source ok
    degraded, // published, some source degraded or failed
    failed,   // nothing published
};
std::string_view to_string(RunStatus status);

// Whether the provider keeps up with the published trees, from the forced shell's receipts in
// the catalog (stager/status/pull_check.hpp, docs/status-page.md). A tree counts as pulled when
// a receipt of a whole pull of its day (or of the whole root) ended after it was published.
struct PullCheck {
    std::chrono::seconds deadline{};
    std::string newest_day; // the newest published tree; "" when none
    std::optional<std::chrono::system_clock::time_point> newest_published_at;
    // The newest receipt of a whole pull of the newest tree (after its publication).
    std::optional<std::chrono::system_clock::time_point> newest_pulled_at;
    std::string last_pulled_day; // the newest tree that was pulled; "" when none
    std::optional<std::chrono::system_clock::time_point> last_pull_at; // any receipt
    // The oldest published tree newer than last_pulled_day, and when it was published: since
    // then the provider has had something new to pull. "" when the provider has the newest.
    std::string waiting_day;
    std::optional<std::chrono::system_clock::time_point> waiting_since;
    bool overdue = false; // waiting for longer than the deadline
};

struct RunResult {
    std::string day;
    std::string host;
    std::string offstage_version;
    std::chrono::system_clock::time_point started_at;
    std::chrono::system_clock::time_point finished_at;
    RunStatus status = RunStatus::failed;
    std::string failure; // why the run failed (a failed run only), may name paths
    std::vector<SourceResult> sources;
    std::vector<AnnoyingFile> annoying_files; // all of them, sorted by path
    // The selection ran to its end, so annoying_files is the whole set (possibly empty). False
    // when the run failed before or during the scan: the catalog then keeps the previous set as
    // the one the next run compares with, instead of calling every file gone.
    bool annoying_files_scanned = false;
    std::vector<std::string> new_annoying_files;  // not in the previous run, sorted
    std::vector<std::string> gone_annoying_files; // in the previous run, not now, sorted
    std::vector<std::string> notes;               // e.g. "run lock taken over from pid 812 ..."
    std::vector<std::string> pruned_days;
    bool replaced_day = false;
    // Every conffile of the scan with its state, sorted by path; `conffiles_scanned` says the
    // scan ran to its end (otherwise the catalog keeps the previous states, as for annoying
    // files).
    std::vector<ConffileStatus> conffiles;
    bool conffiles_scanned = false;
    // Conffiles whose state changed since the last run that scanned (newly modified, back to
    // the package's version, deleted, ...), sorted by path (Catalog::fill_conffile_changes says
    // which count). Absent when the run does not know (it failed before its scan): the mail then
    // leaves the section out rather than say "none".
    std::optional<std::vector<ConffileChange>> changed_conffiles;
    // Every rule of the scan's policies, in order, with its matches (empty when not scanned).
    std::vector<RuleMatchCount> rule_matches;
    // Rules of this scan that matched nothing in each of the last `stale_rule_runs` scans
    // (filled from the catalog once the run is recorded; for the mail).
    std::vector<RuleMatchCount> stale_rules;
    std::size_t stale_rule_runs = 0; // the N of "the last N scans"
    // The provider's pulls as the catalog knew them at the end of the run; absent when the run
    // could not tell (the mail then leaves its section out).
    std::optional<PullCheck> pulls;

    // complete/degraded from the sources' outcomes (for a published run).
    RunStatus status_from_sources() const;
    std::uint64_t total_bytes() const;
    std::size_t total_artifacts() const;
    std::size_t reused_artifacts() const;
};

} // namespace offstage::report
