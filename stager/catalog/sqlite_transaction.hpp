// BEGIN IMMEDIATE (the write lock up front, so a busy catalog fails before any work rather than
// at COMMIT), rolled back on destruction unless committed.
#pragma once

#include "stager/catalog/sqlite_connection.hpp"

#include <sqlite3.h>

namespace offstage::catalog {

class Transaction {
public:
    explicit Transaction(const SqliteConnection& connection)
        : connection_(connection) {
        connection_.execute("BEGIN IMMEDIATE", "begin a transaction");
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (!committed_) {
            sqlite3_exec(connection_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }
    void commit() {
        connection_.execute("COMMIT", "commit");
        committed_ = true;
    }

private:
    const SqliteConnection& connection_;
    bool committed_ = false;
};

} // namespace offstage::catalog
