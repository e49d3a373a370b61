// `offstage drill`: proves that a day's dumps restore (issue #10, docs/drill.md). The command
// verifies the day first (stager/restore), then hands each kind's artifacts to that kind's Drill:
// a MariaDB dump is loaded into a throwaway MariaDB server, a PostgreSQL dump into a throwaway
// PostgreSQL, a SQLite copy is opened and checked, an AFS volume dump is read to its end (and
// `vos restore`d where a drill cell is configured). Each Drill compares what it restored with
// the fingerprint taken at dump time, and returns one verdict per database or volume.
#pragma once

#include "stager/age/identity.hpp"
#include "stager/restore/day_directory.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offstage::drill {

// What a Drill is given: the verified day, the identities that open it, and a scratch directory
// (mode 0700, removed by the caller afterwards) for throwaway servers and their sockets.
struct DrillContext {
    const restore::DayDirectory& day;
    const std::vector<age::X25519Identity>& identities;
    std::filesystem::path scratch;
    // Artifact names of the day (relative, as SHA256SUMS lists them), already verified.
    std::vector<std::string> artifacts;
    // --only: kinds ("db", "afs", "mariadb", ...) or subjects ("mariadb/sales"); empty: all.
    std::vector<std::string> only;
};

struct DrillVerdict {
    std::string subject; // "mariadb/sales", "postgresql/shop", "sqlite/app", "afs/user.bob"
    bool ok = false;
    // One line: "12 tables equal" or what differs ("table t: 10 rows, fingerprint 11").
    std::string detail;
    std::uint64_t plaintext_bytes = 0; // restored
    std::chrono::duration<double> elapsed{};
};

class Drill {
public:
    virtual ~Drill() = default;
    // "mariadb", "postgresql", "sqlite", "afs": what --only names and verdicts start with.
    virtual std::string kind() const = 0;
    // The group --only may name besides the kind: "db" or "afs".
    virtual std::string family() const = 0;
    // Restores and compares every artifact of its kind in `context` (honouring --only for
    // subjects); a failure to restore or compare one subject is a verdict with ok = false,
    // never an exception. Throws only when the drill itself cannot run (no server binary...),
    // and the command then names the kind and the reason.
    virtual std::vector<DrillVerdict> run(const DrillContext& context) = 0;
};

// A cell to restore AFS dumps into: a file server and partition where a scratch volume may be
// made and removed (a test cell, or a spare server), reached with vos like the run reaches its
// server ([afs] drill_server and drill_partition, docs/afs.md).
struct AfsDrillCell {
    std::string server;
    std::string partition; // "/vicepz" or "z"
    std::filesystem::path vos = "/usr/bin/vos";
    std::vector<std::string> auth_wrapper;           // empty: -localauth
    std::optional<std::filesystem::path> config_dir; // vos -config
    std::optional<std::string> cell;                 // vos -cell
};

// What an admin configures for drills (offstage.toml, or drill's command line).
struct DrillSettings {
    // nullopt: AFS dumps are only read to their end marker.
    std::optional<AfsDrillCell> afs_cell;
};

// Every Drill offstage has (drill_registry.cpp).
std::vector<std::unique_ptr<Drill>> all_drills(const DrillSettings& settings = {});

} // namespace offstage::drill
