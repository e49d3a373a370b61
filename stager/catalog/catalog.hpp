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

class Catalog {
public:
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
    // the run's day as first-seen, which later runs never change.
    std::int64_t record(const report::RunResult& run);

    // Fills run.new_annoying_files and run.gone_annoying_files (sorted by bytes) by comparing
    // run.annoying_files with the set of the last recorded run that scanned (all new when none
    // did). Leaves both empty when !run.annoying_files_scanned.
    void fill_annoying_changes(report::RunResult& run) const;

    // The artifact `name` ("system.tar.zst.age") of the newest complete or degraded run, when
    // that run recorded a plaintext digest for it; nullopt otherwise (failed runs never count:
    // they published nothing to link from).
    std::optional<ReusableArtifact> reusable_artifact(std::string_view name) const;

    // The newest `limit` runs, newest first, with their sources, artifacts, problems, counts.
    std::vector<RecordedRun> recent_runs(std::size_t limit) const;

    // Every annoying path ever recorded, with its first- and last-seen days.
    std::map<std::string, AnnoyingFileDates> annoying_file_dates() const;

    // A consistent copy of the catalog as it stands, through SQLite's online backup API, into
    // `destination` (created, mode 0600; an existing file is refused). For the `system` source:
    // "the catalog as it stood before this run".
    void backup_to(const std::filesystem::path& destination) const;

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
