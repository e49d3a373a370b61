// A MariaDB database's fingerprint: per base table its row count and an aggregate checksum of
// its rows, and a digest of each routine, trigger, event and view; for the users artifact, every
// account and grant. Taken by the source in the dump's own snapshot (mariadb_source.cpp,
// docs/databases.md), written encrypted beside the dump, and compared by the drill with the same
// queries run on the restored copy. The text is deterministic (no time, sorted), so equal
// content gives equal text: its keyed digest is the dump's reuse key.
//
// The row checksum is order-independent and exact: for each row, MD5 over the QUOTE()d bytes of
// every column (QUOTE tells NULL from 'NULL' and escapes every byte), the first 64 bits of each
// MD5 summed as DECIMAL over the table (version 2). Version 1, which days staged before it hold
// and the drill still computes for them, summed both halves: twice the server's CPU (100 MiB of
// rows: 2.4 s, 1.3 s for version 2, against 0.3 s for mariadb-dump itself) for a margin no
// restore check needs (a changed row goes unseen with a chance of 2^-64). CHECKSUM TABLE is not
// used: it reads outside the transaction's snapshot.
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

// The version this offstage writes; parse() reads 1 and 2.
inline constexpr int mariadb_fingerprint_version = 2;

struct MariadbTableFingerprint {
    std::string name;
    std::string engine;
    std::uint64_t rows = 0;
    std::string checksum; // decimal: "SUM" (version 2), "SUM1:SUM2" (version 1)
    // False for a non-transactional table read without a lock (non_transactional = "warn"):
    // the dump and the fingerprint may have seen it at different moments.
    bool consistent = true;
};

struct MariadbFingerprint {
    int version = mariadb_fingerprint_version; // how the row checksums were taken
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

// The statements that fingerprint one base table (one result row: count, then the checksum's
// one sum, or two for version 1).
std::string mariadb_table_fingerprint_sql(const std::string& database, const MariadbTable& table,
                                          int version = mariadb_fingerprint_version);
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
// `version`: the expected fingerprint's, so that a day staged by an older offstage drills.
MariadbFingerprint mariadb_fingerprint_now(const MariadbClient& client, const std::string& database,
                                           std::chrono::milliseconds timeout,
                                           int version = mariadb_fingerprint_version);
// The accounts and grants of the server, as "account"/"grant" object lines.
std::vector<std::string> mariadb_users_now(const MariadbClient& client,
                                           std::chrono::milliseconds timeout);

} // namespace offstage::sources
