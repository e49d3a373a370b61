// How offstage reaches a PostgreSQL server: its client programs (from one version's bin
// directory, never Debian's pg_wrapper, so that pg_dump is never older than the server), the OS
// user they run as (socket "peer" authentication: no password anywhere), the socket directory and
// port, and the connection timeout. Shared by the source (the dumps) and the drill (the restores),
// with the fingerprint both sides compute.
#pragma once

#include "platform/child_process.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::sources {

// The bin directory of the newest PostgreSQL under /usr/lib/postgresql (e.g.
// /usr/lib/postgresql/15/bin), found without naming a version; throws std::runtime_error when
// there is none with the programs we need.
std::filesystem::path
newest_postgresql_bin_dir(const std::filesystem::path& base = "/usr/lib/postgresql");

struct PostgresqlClient {
    std::filesystem::path psql;
    std::filesystem::path pg_dump;
    std::filesystem::path pg_dumpall;
    std::filesystem::path pg_restore;
    std::optional<platform::ChildUser> os_user; // nullopt: run as this process
    std::filesystem::path socket_dir{"/var/run/postgresql"};
    int port = 5432;
    std::chrono::seconds timeout{30}; // to connect and authenticate; lock waits too

    // Every program from `bin_dir`.
    static PostgresqlClient in(const std::filesystem::path& bin_dir);

    // A libpq connection string for `database`: values quoted, so that no database name is read
    // as options.
    std::string conninfo(const std::string& database) const;
    // The options every client runs with: the OS user, "/" as working directory, and an
    // environment of only LC_ALL and PGCONNECT_TIMEOUT (no PGPASSWORD, no PGHOST from ours).
    platform::ChildProcess::Options options() const;
    // psql's fixed arguments for `database` (-X, ON_ERROR_STOP, unaligned tuples only).
    std::vector<std::string> psql_argv(const std::string& database) const;
    // Runs `sql` with psql in `database` and returns its output. Throws ChildProcessError.
    std::string query(const std::string& database, const std::string& sql) const;
    // The connectable databases but templates, sorted by name (bytes).
    std::vector<std::string> databases() const;
};

// The session settings that make a row's text the same on every server of a version (dates,
// floats, bytea), and the queries that print a database's fingerprint: one line per table
// ("table NAME rows N sum A", "... sum A B" in version 1), view, routine, trigger, schema and
// relation with its owner and grants, NAMEs as JSON strings. Run on the dumped database inside
// the dump's snapshot, and on the restored one by the drill, in the version of the day's
// fingerprint (days staged before version 2 hold version 1).
inline constexpr int postgresql_fingerprint_version = 2;
std::string_view postgresql_session_settings();
std::string postgresql_fingerprint_queries(int version = postgresql_fingerprint_version);
// The first line of a fingerprint of a database: "offstage postgresql fingerprint N\n".
std::string postgresql_fingerprint_header(int version = postgresql_fingerprint_version);
// The version of a fingerprint's text, from its first line; throws std::runtime_error quoting
// that line when this offstage does not read it.
int postgresql_fingerprint_version_of(std::string_view fingerprint);
// The globals' fingerprint (roles, their attributes and memberships, not their passwords).
std::string_view postgresql_roles_queries();

// The lines of `text` sorted by their bytes (a fingerprint's order must not depend on a server's
// collation, which a drill host may not even have).
std::string sorted_lines(std::string_view text);

// The string of a JSON string literal ("\"a\\nb\"" -> "a\nb"); throws std::runtime_error on
// anything else.
std::string decode_json_string(std::string_view literal);

} // namespace offstage::sources
