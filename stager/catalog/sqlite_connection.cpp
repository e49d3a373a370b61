#include "stager/catalog/sqlite_connection.hpp"

#include "stager/catalog/catalog_error.hpp"

#include <sqlite3.h>
#include <string>
#include <utility>

namespace offstage::catalog {

SqliteConnection::SqliteConnection(std::filesystem::path path,
                                   std::chrono::milliseconds busy_timeout)
    : SqliteConnection(std::move(path), busy_timeout, Other{false, "catalog"}) {}

SqliteConnection::SqliteConnection(std::filesystem::path path,
                                   std::chrono::milliseconds busy_timeout, Other other)
    : path_(std::move(path))
    , busy_timeout_(busy_timeout)
    , label_(std::move(other.label)) {
    int code = sqlite3_open_v2(path_.c_str(), &db_,
                               (other.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                                   SQLITE_OPEN_NOFOLLOW | SQLITE_OPEN_NOMUTEX,
                               nullptr);
    if (code != SQLITE_OK) {
        std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
        sqlite3_close(db_); // sqlite3_open_v2 allocates a handle even when it fails
        db_ = nullptr;
        throw CatalogError(label_ + " " + path_.string() + ": open: " + message);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, static_cast<int>(busy_timeout_.count()));
}

SqliteConnection::SqliteConnection(SqliteConnection&& other) noexcept
    : path_(std::move(other.path_))
    , busy_timeout_(other.busy_timeout_)
    , label_(std::move(other.label_))
    , db_(std::exchange(other.db_, nullptr)) {}

SqliteConnection::~SqliteConnection() {
    // Every statement is finalized by its owner first, so close cannot be left pending.
    sqlite3_close(db_);
}

void SqliteConnection::execute(std::string_view sql, std::string_view what) const {
    int code = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, nullptr);
    if (code != SQLITE_OK) {
        fail(code, what);
    }
}

void SqliteConnection::fail(int code, std::string_view what) const {
    std::string message = label_ + " " + path_.string() + ": " + std::string(what) + ": ";
    int primary = code & 0xff;
    if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
        message += "the database is locked by another process (waited " +
                   std::to_string(busy_timeout_.count()) +
                   (label_ == "catalog"
                        ? " ms): another offstage run, or an sqlite3 shell holding a transaction?"
                        : " ms)");
    } else {
        // The connection's message belongs to its last call, which may not be the failing one
        // (a backup's error is the result code alone).
        message +=
            sqlite3_extended_errcode(db_) == code ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    }
    throw CatalogError(message);
}

} // namespace offstage::catalog
