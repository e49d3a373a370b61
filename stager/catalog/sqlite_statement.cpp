#include "stager/catalog/sqlite_statement.hpp"

#include <sqlite3.h>

namespace offstage::catalog {

SqliteStatement::SqliteStatement(const SqliteConnection& connection, std::string_view sql)
    : connection_(connection) {
    int code = sqlite3_prepare_v2(connection_.handle(), sql.data(), static_cast<int>(sql.size()),
                                  &statement_, nullptr);
    if (code != SQLITE_OK) {
        connection_.fail(code, "prepare \"" + std::string(sql.substr(0, 60)) + "\"");
    }
}

SqliteStatement::~SqliteStatement() {
    sqlite3_finalize(statement_);
}

SqliteStatement& SqliteStatement::bind_integer(int index, std::int64_t value) {
    if (int code = sqlite3_bind_int64(statement_, index, value); code != SQLITE_OK) {
        connection_.fail(code, "bind a value");
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_real(int index, double value) {
    if (int code = sqlite3_bind_double(statement_, index, value); code != SQLITE_OK) {
        connection_.fail(code, "bind a value");
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_text(int index, std::string_view value) {
    int code = sqlite3_bind_text64(statement_, index, value.data(), value.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
    if (code != SQLITE_OK) {
        connection_.fail(code, "bind a value");
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_blob(int index, std::string_view value) {
    // A zero-length blob must still be a blob, not NULL: SQLite takes a non-null pointer for it.
    static const char empty = 0;
    int code = sqlite3_bind_blob64(statement_, index, value.empty() ? &empty : value.data(),
                                   value.size(), SQLITE_TRANSIENT);
    if (code != SQLITE_OK) {
        connection_.fail(code, "bind a value");
    }
    return *this;
}

SqliteStatement& SqliteStatement::bind_null(int index) {
    if (int code = sqlite3_bind_null(statement_, index); code != SQLITE_OK) {
        connection_.fail(code, "bind a value");
    }
    return *this;
}

bool SqliteStatement::step() {
    int code = sqlite3_step(statement_);
    if (code == SQLITE_ROW) {
        return true;
    }
    if (code == SQLITE_DONE) {
        return false;
    }
    connection_.fail(code, "run \"" + std::string(sqlite3_sql(statement_)).substr(0, 60) + "\"");
}

void SqliteStatement::run() {
    while (step()) {
    }
    reset();
}

void SqliteStatement::reset() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
}

bool SqliteStatement::is_null(int column) const {
    return sqlite3_column_type(statement_, column) == SQLITE_NULL;
}

std::int64_t SqliteStatement::integer(int column) const {
    return sqlite3_column_int64(statement_, column);
}

double SqliteStatement::real(int column) const {
    return sqlite3_column_double(statement_, column);
}

std::string SqliteStatement::text(int column) const {
    const unsigned char* data = sqlite3_column_text(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    return data == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::string SqliteStatement::blob(int column) const {
    const void* data = sqlite3_column_blob(statement_, column);
    int size = sqlite3_column_bytes(statement_, column);
    return data == nullptr
               ? std::string()
               : std::string(static_cast<const char*>(data), static_cast<std::size_t>(size));
}

} // namespace offstage::catalog
