// `db/postgresql`: a PostgreSQL cluster, dumped as its OS user over its unix socket (docs/
// databases.md). The globals first (`pg_dumpall --globals-only`: roles and tablespaces, without
// which no database restores), then one `pg_dump -Fc` per database, each inside a snapshot that
// a psql session exported (pg_export_snapshot) and fingerprinted (row counts and checksums per
// table, routines, triggers, views, owners and grants) in the same transaction, so that the
// fingerprint describes exactly the dumped state. Each dump is checked as it streams past: exit
// status, stderr, and pg_restore reading it whole; a dump that fails a check is dropped and names
// its database, and the other databases go on. A database whose fingerprint is unchanged reuses
// the previous tree's artifacts.
#pragma once

#include "stager/sources/databases/postgresql_client.hpp"
#include "stager/sources/source.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace offstage::sources {

struct PostgresqlSettings {
    std::string os_user = "postgres";
    std::filesystem::path socket_dir{"/var/run/postgresql"};
    int port = 5432;
    std::vector<std::string> databases; // empty: every connectable one but the templates
    std::vector<std::string> exclude;
    std::chrono::seconds timeout{30}; // to connect and authenticate, and for each lock wait
    // One database from its snapshot to the end of its pg_dump, and pg_dumpall --globals-only:
    // a dump that stalls (a hung server, a stuck network filesystem) is killed past it.
    std::chrono::seconds dump_timeout{6 * 3600};
    std::filesystem::path bin_dir; // empty: the newest /usr/lib/postgresql/VERSION/bin
    // Each program, when not bin_dir's.
    std::filesystem::path psql;
    std::filesystem::path pg_dump;
    std::filesystem::path pg_dumpall;
    std::filesystem::path pg_restore;
};

class PostgresqlSource : public Source {
public:
    explicit PostgresqlSource(PostgresqlSettings settings);
    std::string name() const override { return "db/postgresql"; }
    std::string kind() const override { return "postgresql"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

    // The artifact names (docs/databases.md).
    static std::string globals_artifact() { return "db/postgresql/globals.sql.zst.age"; }
    static std::string roles_artifact() { return "db/postgresql/globals.roles.zst.age"; }
    static std::string dump_artifact(const std::string& database);
    static std::string fingerprint_artifact(const std::string& database);

private:
    PostgresqlClient client() const;
    void dump_globals(const PostgresqlClient& client, staging::ArtifactWriter& writer,
                      report::SourceResult& result);
    void dump_database(const PostgresqlClient& client, const std::string& database,
                       staging::ArtifactWriter& writer, report::SourceResult& result);

    PostgresqlSettings settings_;
};

inline constexpr std::string_view postgresql_roles_header = "offstage postgresql roles 1\n";

} // namespace offstage::sources
