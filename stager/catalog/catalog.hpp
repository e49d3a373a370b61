// The catalog: every run's outcome, sources, artifacts and problems, and the annoying files with
// the days they were first and last seen, in one SQLite file (docs/catalog.md). A run is
// recorded in one transaction, so a crash or an error leaves the catalog as it was before.
// WAL mode with a busy timeout: `offstage status` reads while a run writes; a lock held past the
// timeout is an error that says so.
#pragma once

#include "stager/report/run_result.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::catalog {

class SqliteConnection;

inline constexpr std::string_view default_catalog_path = "/var/lib/offstage/catalog.sqlite";

// `[catalog]` in offstage.toml.
struct CatalogSettings {
    std::filesystem::path path{std::string(default_catalog_path)}; // [catalog] path
    std::chrono::milliseconds busy_timeout{5000};                  // [catalog] busy_timeout
};

// A run as the catalog holds it. `run.annoying_files` is not loaded (annoying_file_dates() has
// them); `run.annoying_files_scanned` is.
struct RecordedRun {
    std::int64_t id = 0; // increases with every record()
    report::RunResult run;
};

// The artifact of the newest published run that reuse may hard-link, and what was recorded of
// it: the caller checks the file in that day's tree still has this size and SHA-256.
struct ReusableArtifact {
    std::string day;
    report::Digest plaintext_digest{};
    report::Digest sha256{};
    std::uint64_t bytes = 0;
};

struct AnnoyingFileDates {
    std::string first_seen; // the day of the first run that listed the path
    std::string last_seen;  // the day of the last run that listed it
};

// The annoying files of the newest run that scanned (the set the next run compares with).
struct LastScan {
    std::int64_t run_id = 0;
    std::string day;
    std::vector<std::string> annoying; // in byte order
};

// What the [mail] send cadence weighs (stager/mail/mail_cadence.hpp), from the runs before one.
struct MailHistory {
    std::optional<report::RunResult> previous; // the run before it, with its sources
    // When the newest run whose mail was sent started; nullopt: no mail was ever sent.
    std::optional<std::chrono::system_clock::time_point> last_sent;
};

// A pull the forced shell recorded as a receipt (docs/forced-shell.md, "Receipts"): an rsync
// it allowed that ended with status 0.
struct PullRecord {
    std::chrono::system_clock::time_point finished_at; // to the second
    std::string client;                                // an address, or "-"
    std::string served;                                // a day, or "*": the whole staging root
    bool whole = true; // the day's directory (or the root) itself, not only a part of it
    int status = 0;
};

// Which annoying paths for_each_annoying() visits.
enum class AnnoyingSet {
    current, // listed by the newest run that scanned
    fresh,   // listed by it and first seen on its day, after the day of the scan before it
    gone,    // listed by the scan before it and not by it
};

class Catalog {
public:
    // The pulls table keeps this many rows, the newest: a peer that pulls in a loop cannot grow
    // the catalog without bound.
    static constexpr std::size_t max_pulls = 10000;

    // Opens the catalog, creating it (mode 0600, its directory 0700 when missing) or migrating
    // it to schema::current_version. Throws CatalogError naming the file: not a database, a
    // newer schema than this offstage knows (never migrated down), locked past the timeout.
    static Catalog open(const CatalogSettings& settings);
    // The same for a catalog that exists; nullopt when there is no file (nothing is created).
    static std::optional<Catalog> open_existing(const CatalogSettings& settings);

    Catalog(Catalog&&) noexcept;
    Catalog& operator=(Catalog&&) noexcept;
    ~Catalog();

    const std::filesystem::path& path() const;

    // Records `run` in one transaction and returns its id. Throws CatalogError on any error (two
    // sources or two artifacts of one name included), leaving the catalog unchanged. When
    // `run.annoying_files_scanned`, its annoying files become the set the next run compares
    // with: each path's last-seen day is the run's day; a path seen for the first time gets
    // the run's day as first-seen, which later runs never change. When
    // `run.conffiles_scanned`, its conffile states replace the recorded ones.
    std::int64_t record(const report::RunResult& run);

    // Fills run.new_annoying_files and run.gone_annoying_files (sorted by bytes) by comparing
    // run.annoying_files with the set of the last recorded run that scanned (all new when none
    // did). Leaves both empty when !run.annoying_files_scanned.
    void fill_annoying_changes(report::RunResult& run) const;

    // Sets run.changed_conffiles (sorted by path) by comparing run.conffiles with the states
    // the last scanning run recorded: a conffile whose state differs, one that was no conffile
    // then and is not "unchanged" or "new" now (newly modified or missing; with no recorded
    // states yet, every such conffile), and one that is no conffile now and was not
    // "unchanged" or "new" then. A package installed or purged untouched is no change. Leaves it
    // absent when !run.conffiles_scanned.
    void fill_conffile_changes(report::RunResult& run) const;

    // The artifact `name` ("system.tar.zst.age") of the newest complete or degraded run, when
    // that run recorded a plaintext digest for it; nullopt otherwise (failed runs never count:
    // they published nothing to link from).
    std::optional<ReusableArtifact> reusable_artifact(std::string_view name) const;

    // The newest `limit` runs (of those with an id up to `up_to_id`), newest first, with their
    // sources, artifacts, problems, counts.
    std::vector<RecordedRun> recent_runs(std::size_t limit,
                                         std::int64_t up_to_id = INT64_MAX) const;

    // Every annoying path ever recorded, with its first- and last-seen days.
    std::map<std::string, AnnoyingFileDates> annoying_file_dates() const;

    // Adds each pull not recorded yet (the same receipt twice is one row) in one transaction,
    // then drops all but the newest max_pulls. Returns how many were new. Throws CatalogError,
    // leaving the catalog unchanged.
    std::size_t record_pulls(const std::vector<PullRecord>& pulls);
    // The newest `limit` pulls, newest first.
    std::vector<PullRecord> recent_pulls(std::size_t limit) const;

    // Calls `visit` with each annoying path of `which` (bytes), in no particular order; nothing
    // is collected here, since the set may hold a million paths.
    void for_each_annoying(AnnoyingSet which,
                           const std::function<void(std::string_view)>& visit) const;

    // A consistent copy of the catalog as it stands, through SQLite's online backup API, into
    // `destination` (created, mode 0600; an existing file is refused). For the `system` source:
    // "the catalog as it stood before this run".
    void backup_to(const std::filesystem::path& destination) const;

    // The newest run that scanned, and its annoying files; nullopt when none did.
    std::optional<LastScan> last_scan() const;

    // The run before `run_id` and the last mail sent before it.
    MailHistory mail_history(std::int64_t run_id) const;

    // What became of run `run_id`'s mail: "sent", "skipped", "failed" or "not configured".
    void record_mail(std::int64_t run_id, std::string_view state);

    // The rules that matched nothing in each of the newest `runs` scans that recorded rule
    // counts, and were present in all of them (so a rule added since is not stale yet); their
    // file, line and text as the newest of those scans has them, in its order. Empty while
    // fewer than `runs` scans are recorded.
    std::vector<report::RuleMatchCount> stale_rules(std::size_t runs) const;

    int schema_version() const;

    // One `offstage drill` verdict, recorded when the drill runs on the host (docs/drill.md).
    struct DrillRecord {
        std::string day;
        std::chrono::system_clock::time_point started_at;
        std::string subject; // "mariadb/sales"
        bool ok = false;
        std::string detail;
        std::uint64_t bytes = 0;
        double seconds = 0;
    };
    void record_drills(const std::vector<DrillRecord>& drills);

private:
    explicit Catalog(std::unique_ptr<SqliteConnection> connection);
    std::unique_ptr<SqliteConnection> connection_;
};

} // namespace offstage::catalog
