// One SQLite connection, closed on destruction. Every failure becomes a CatalogError naming the
// database file, what was being done and SQLite's message; a lock held past the busy timeout
// says so in words rather than as SQLite's terse "database is locked".
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

struct sqlite3;

namespace offstage::catalog {

class SqliteConnection {
public:
    // Opens an existing file read-write (SQLITE_OPEN_NOFOLLOW: a symlink is refused), with
    // extended result codes and a busy timeout of `busy_timeout`.
    SqliteConnection(std::filesystem::path path, std::chrono::milliseconds busy_timeout);
    // Another database than the catalog (a [[sqlite]] source): opened read-only when asked, and
    // named `label` in messages ("sqlite app" rather than "catalog").
    struct Other {
        bool read_only = false;
        std::string label;
    };
    SqliteConnection(std::filesystem::path path, std::chrono::milliseconds busy_timeout,
                     Other other);
    SqliteConnection(SqliteConnection&& other) noexcept;
    SqliteConnection& operator=(SqliteConnection&&) = delete;
    SqliteConnection(const SqliteConnection&) = delete;
    ~SqliteConnection();

    // Runs one or more statements that return no rows of interest.
    void execute(std::string_view sql, std::string_view what) const;

    // Throws CatalogError for SQLite result `code` while doing `what`.
    [[noreturn]] void fail(int code, std::string_view what) const;

    sqlite3* handle() const { return db_; }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
    std::chrono::milliseconds busy_timeout_;
    std::string label_ = "catalog";
    sqlite3* db_ = nullptr;
};

} // namespace offstage::catalog
