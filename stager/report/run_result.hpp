// What one `offstage run` did, gathered once: report.json, the catalog row, the mail and the
// exit status are all renderings of a RunResult, so no component re-derives a fact
// (docs/staging-tree.md). Sources fill their SourceResult; the run fills the rest.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace offstage::report {

enum class Outcome { ok, degraded, failed };
std::string_view to_string(Outcome outcome); // "ok", "degraded", "failed"

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
    non_transactional,       // MariaDB tables without snapshots: locked, left out or unlocked
};
std::string_view to_string(ReasonCode code);

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

enum class RunStatus {
    complete, // published, every source ok
    degraded, // published, some source degraded or failed
    failed,   // nothing published
};
std::string_view to_string(RunStatus status);

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
    // Conffiles whose state changed since the previous run (newly modified, changed again,
    // back to the package's version), sorted; paths are bytes. Absent when the run does not
    // track them (the mail then leaves the section out rather than say "none").
    std::optional<std::vector<std::string>> changed_conffiles;

    // complete/degraded from the sources' outcomes (for a published run).
    RunStatus status_from_sources() const;
    std::uint64_t total_bytes() const;
    std::size_t total_artifacts() const;
    std::size_t reused_artifacts() const;
};

} // namespace offstage::report
