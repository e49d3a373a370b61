// `db/sqlite/NAME`: a SQLite database file of an application ([[sqlite]] in offstage.toml),
// copied with SQLite's online backup API in one read transaction (never by copying the file,
// which a writer may be changing), into a private temporary file; `PRAGMA integrity_check` must
// say "ok" on that copy before it is archived; its fingerprint (the schema, and per table the row
// count and a checksum of the rows) is written encrypted beside it, and an unchanged fingerprint
// reuses the previous tree's artifacts. The temporary copy is removed whatever happens.
#pragma once

#include "stager/catalog/sqlite_connection.hpp"
#include "stager/sources/source.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace offstage::sources {

struct SqliteSettings {
    std::string name;           // [[sqlite]] name: the artifacts are db/sqlite/NAME.* (encoded)
    std::filesystem::path path; // the database file
    std::chrono::milliseconds timeout{std::chrono::seconds(30)}; // a writer's lock, waited for
    // Where the private copy is made (a directory of its own, mode 0700, inside).
    std::filesystem::path temp_parent{"/var/tmp"};
};

class SqliteSource : public Source {
public:
    explicit SqliteSource(SqliteSettings settings);
    std::string name() const override;
    std::string kind() const override { return "sqlite"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

    static std::string copy_artifact(const std::string& name);
    static std::string fingerprint_artifact(const std::string& name);

private:
    SqliteSettings settings_;
};

// "ok", or what PRAGMA integrity_check found (its first lines). Throws CatalogError.
std::string sqlite_integrity(const catalog::SqliteConnection& database);

// The fingerprint of a database: its schema (every sqlite_schema row) and, per table, the row
// count and two sums of slices of each row's SHA-256 (independent of the row order, one row in
// memory at a time). Throws CatalogError.
std::string sqlite_fingerprint(const catalog::SqliteConnection& database);

inline constexpr std::string_view sqlite_fingerprint_header = "offstage sqlite fingerprint 1\n";

// A JSON string literal of bytes (control bytes and quotes escaped; other bytes as they are).
std::string json_string(std::string_view text);

} // namespace offstage::sources
