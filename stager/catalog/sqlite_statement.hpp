// One prepared SQLite statement, finalized on destruction. Binds take 1-based indexes and
// columns 0-based ones, as in SQLite's C API; errors name the database file (CatalogError).
#pragma once

#include "stager/catalog/sqlite_connection.hpp"

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3_stmt;

namespace offstage::catalog {

class SqliteStatement {
public:
    SqliteStatement(const SqliteConnection& connection, std::string_view sql);
    SqliteStatement(const SqliteStatement&) = delete;
    SqliteStatement& operator=(const SqliteStatement&) = delete;
    ~SqliteStatement();

    SqliteStatement& bind_integer(int index, std::int64_t value);
    SqliteStatement& bind_real(int index, double value);
    SqliteStatement& bind_text(int index, std::string_view value); // bytes kept as they are
    SqliteStatement& bind_blob(int index, std::string_view value);
    SqliteStatement& bind_null(int index);

    // The next row: true when there is one, false when done. Throws on error.
    bool step();
    // Runs a statement that returns no row, then resets it for the next bindings.
    void run();
    void reset();

    bool is_null(int column) const;
    std::int64_t integer(int column) const;
    double real(int column) const;
    std::string text(int column) const; // "" for NULL
    std::string blob(int column) const;

private:
    const SqliteConnection& connection_;
    sqlite3_stmt* statement_ = nullptr;
};

} // namespace offstage::catalog
