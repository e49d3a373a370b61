// The dump sources of a run (issue #10, docs/databases.md): MariaDB, PostgreSQL, SQLite and
// OpenAFS volumes, each configured in its own section of offstage.toml. They are sources like
// any other (source.hpp, the conformance suite): each streams its dumps through
// ArtifactWriter::begin_stream and reuses yesterday's artifact when its fingerprint is unchanged.
#pragma once

#include "stager/sources/afs/afs_source.hpp"
#include "stager/sources/databases/mariadb_source.hpp"
#include "stager/sources/databases/postgresql_source.hpp"
#include "stager/sources/databases/sqlite_source.hpp"
#include "stager/sources/source.hpp"

#include <memory>
#include <optional>
#include <vector>

namespace offstage::sources {

// Every dump source's settings, resolved from offstage.toml (stager/config); a kind with no
// section in the file stages nothing. Each kind adds one member here.
struct DumpSettings {
    MariadbSettings mariadb;                      // [mariadb]
    std::optional<PostgresqlSettings> postgresql; // [postgresql]: present, the cluster is dumped
    std::vector<SqliteSettings> sqlite;           // [[sqlite]]: one entry per database file
    std::optional<afs::AfsSettings> afs;          // [afs]
};

// The dump sources the settings ask for, in the order they run.
std::vector<std::unique_ptr<Source>> dump_sources(const DumpSettings& settings);

} // namespace offstage::sources
