// A MariaDB database's fingerprint: per base table its row count and an aggregate checksum of
// its rows, and a digest of each routine, trigger, event and view; for the users artifact, every
// account and grant. Taken by the source in the dump's own snapshot (mariadb_source.cpp,
// docs/databases.md), written encrypted beside the dump, and compared by the drill with the same
// queries run on the restored copy. The text is deterministic (no time, sorted), so equal
// content gives equal text: its keyed digest is the dump's reuse key.
//
// The row checksum is order-independent and exact: for each row, MD5 over the QUOTE()d bytes of
// every column (QUOTE tells NULL from 'NULL' and escapes every byte), the two 64-bit halves of
// each MD5 summed as DECIMAL over the table. CHECKSUM TABLE is not used: it reads outside the
// transaction's snapshot.
#pragma once

#include "stager/sources/databases/mariadb_client.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace offstage::sources {

struct MariadbTable {
    std::string name;
    std::string engine;
    bool transactional = true; // the engine has MVCC snapshots (InnoDB): --single-transaction holds
    bool view = false;
    std::vector<std::string> columns; // base tables only, in ordinal order
};

// The tables and views of `database` with their engines and columns.
std::vector<MariadbTable> mariadb_tables(const MariadbClient& client, const std::string& database,
                                         std::chrono::milliseconds timeout);

struct MariadbTableFingerprint {
    std::string name;
    std::string engine;
    std::uint64_t rows = 0;
    std::string checksum; // "SUM1:SUM2", decimal
    // False for a non-transactional table read without a lock (non_transactional = "warn"):
    // the dump and the fingerprint may have seen it at different moments.
    bool consistent = true;
};

struct MariadbFingerprint {
    std::string database;
    std::vector<MariadbTableFingerprint> tables; // sorted by name
    std::vector<std::string> skipped;            // non-transactional tables left out ("skip")
    // "routine NAME DIGEST", "trigger ...", "event ...", "view ...", sorted; for the users
    // artifact "account ..." and "grant ...".
    std::vector<std::string> objects;

    std::string to_text() const;
    // Throws std::runtime_error naming the line when `text` is not a fingerprint.
    static MariadbFingerprint parse(const std::string& text);
};

// The statements that fingerprint one base table (one result row: count, checksum halves).
std::string mariadb_table_fingerprint_sql(const std::string& database, const MariadbTable& table);
// The statement whose rows are `database`'s objects (kind, HEX(name), digest).
std::string mariadb_objects_sql(const std::string& database);
// The statement whose rows are the server's accounts and grants (kind, HEX(line)).
std::string mariadb_users_sql();

// Reads the row of mariadb_table_fingerprint_sql() into `table`.
void read_table_fingerprint(const MariadbRow& row, MariadbTableFingerprint& table);
// Reads rows of mariadb_objects_sql() or mariadb_users_sql() into sorted object lines.
std::vector<std::string> read_object_lines(const std::vector<MariadbRow>& rows);

// The whole fingerprint of `database` now, in one consistent snapshot (the drill's side, on a
// server nobody else writes to).
MariadbFingerprint mariadb_fingerprint_now(const MariadbClient& client, const std::string& database,
                                           std::chrono::milliseconds timeout);
// The accounts and grants of the server, as "account"/"grant" object lines.
std::vector<std::string> mariadb_users_now(const MariadbClient& client,
                                           std::chrono::milliseconds timeout);

} // namespace offstage::sources
