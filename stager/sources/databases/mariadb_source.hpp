// The [mariadb] source (docs/databases.md, "MariaDB"): one `mariadb-dump --single-transaction`
// per database (every database but information_schema, performance_schema and sys, or a
// configured list), streamed into db/mariadb/NAME.sql.zst.age, with the database's fingerprint
// (mariadb_fingerprint.hpp) taken in the dump's own snapshot beside it, and the accounts and
// grants in db/mariadb/users.sql.zst.age. A dump is committed only when mariadb-dump exited 0,
// wrote nothing on stderr and ended with its "-- Dump completed" line; otherwise that database
// fails the source, yesterday's artifact stays where it is, and the other databases go on.
#pragma once

#include "stager/sources/databases/mariadb_client.hpp"
#include "stager/sources/source.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace offstage::sources {

// What to do with a database's non-transactional tables (MyISAM, Aria, MEMORY...), which
// --single-transaction does not make consistent.
enum class NonTransactional {
    lock_tables, // read-lock them for the whole dump of that database (writers wait)
    skip,        // leave them out of the dump, named in the report
    warn,        // dump them unlocked, named in the report as possibly inconsistent
};

struct MariadbSettings {
    bool enabled = false; // a [mariadb] section is present
    MariadbConnection connection;
    std::vector<std::string> databases; // empty: every database of the server
    std::vector<std::string> exclude;
    NonTransactional non_transactional = NonTransactional::lock_tables;
    std::chrono::seconds timeout{6 * 3600}; // one database's dump, from start to end
    std::chrono::seconds lock_timeout{60};  // waiting for a table lock
};

class MariadbSource : public Source {
public:
    explicit MariadbSource(MariadbSettings settings)
        : settings_(std::move(settings)) {}
    std::string name() const override { return "db/mariadb"; }
    std::string kind() const override { return "mariadb"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

    // The artifact stem of a database: its name encoded for the grammar; "users" is kept for
    // the grants, so a database named "users" becomes "%75sers".
    static std::string artifact_stem(const std::string& database);

private:
    struct Totals;
    void dump_database(staging::ArtifactWriter& writer, report::SourceResult& result,
                       const std::string& database, const std::string& charset, Totals& totals);
    void dump_users(staging::ArtifactWriter& writer, report::SourceResult& result);
    MariadbSettings settings_;
};

} // namespace offstage::sources
