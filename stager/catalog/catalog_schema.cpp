#include "stager/catalog/catalog_schema.hpp"

#include <array>

namespace offstage::catalog::schema {
namespace {

// Version 1: the first catalog. Annoying files were listed per run, and artifacts carried no
// plaintext digest (no reuse), sources no counts.
constexpr std::string_view version_1 = R"sql(
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    day              TEXT NOT NULL,
    host             TEXT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('complete', 'degraded', 'failed')),
    failure          TEXT NOT NULL DEFAULT '',
    offstage_version TEXT NOT NULL
);
CREATE TABLE sources (
    run_id           INTEGER NOT NULL REFERENCES runs (id),
    position         INTEGER NOT NULL,
    name             TEXT NOT NULL,
    kind             TEXT NOT NULL,
    outcome          TEXT NOT NULL CHECK (outcome IN ('ok', 'degraded', 'failed')),
    duration_seconds REAL NOT NULL,
    PRIMARY KEY (run_id, name)
);
CREATE TABLE problems (
    run_id   INTEGER NOT NULL,
    source   TEXT NOT NULL,
    position INTEGER NOT NULL,
    code     TEXT NOT NULL,
    detail   TEXT NOT NULL,
    PRIMARY KEY (run_id, source, position),
    FOREIGN KEY (run_id, source) REFERENCES sources (run_id, name)
);
CREATE TABLE artifacts (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    name   TEXT NOT NULL,
    bytes  INTEGER NOT NULL CHECK (bytes >= 0),
    sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
    reused INTEGER NOT NULL CHECK (reused IN (0, 1)),
    PRIMARY KEY (run_id, name),
    FOREIGN KEY (run_id, source) REFERENCES sources (run_id, name)
);
CREATE TABLE annoying_files (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path   BLOB NOT NULL,
    PRIMARY KEY (run_id, path)
);
)sql";

// Version 2: one row per annoying path with first- and last-seen days (the per-run lists grew
// with every run and made "first seen" a scan of all of them); runs say whether they scanned;
// artifacts get the keyed plaintext digest for reuse; sources get their counts.
constexpr std::string_view version_2 = R"sql(
ALTER TABLE runs ADD COLUMN annoying_scanned INTEGER NOT NULL DEFAULT 0
    CHECK (annoying_scanned IN (0, 1));
ALTER TABLE artifacts ADD COLUMN plaintext_digest TEXT
    CHECK (plaintext_digest IS NULL OR length(plaintext_digest) = 64);
CREATE TABLE source_counts (
    run_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  INTEGER NOT NULL CHECK (value >= 0),
    PRIMARY KEY (run_id, source, key),
    FOREIGN KEY (run_id, source) REFERENCES sources (run_id, name)
);
ALTER TABLE annoying_files RENAME TO annoying_files_per_run;
CREATE TABLE annoying_files (
    path        BLOB PRIMARY KEY,
    first_seen  TEXT NOT NULL,
    last_seen   TEXT NOT NULL,
    last_run_id INTEGER NOT NULL REFERENCES runs (id)
);
CREATE INDEX annoying_files_by_last_run ON annoying_files (last_run_id);
INSERT INTO annoying_files (path, first_seen, last_seen, last_run_id)
    SELECT listed.path, min(runs.day), max(runs.day), max(runs.id)
    FROM annoying_files_per_run AS listed JOIN runs ON runs.id = listed.run_id
    GROUP BY listed.path;
-- Version 1 could not tell "scanned, nothing annoying" from "never scanned": a published run
-- always scanned, and a failed one that listed files did too.
UPDATE runs SET annoying_scanned = 1
    WHERE status <> 'failed' OR id IN (SELECT run_id FROM annoying_files_per_run);
DROP TABLE annoying_files_per_run;
)sql";

// Version 3: the annoying-files loop. Each scan's rules with how many paths each decided (a
// rule matching nothing for [scan] stale_rule_runs scans is reported stale), and whether each
// run's mail was sent, skipped by the [mail] send cadence, or failed ('' for older runs).
constexpr std::string_view version_3 = R"sql(
ALTER TABLE runs ADD COLUMN mail TEXT NOT NULL DEFAULT ''
    CHECK (mail IN ('', 'sent', 'skipped', 'failed', 'not configured'));
CREATE TABLE rule_matches (
    run_id   INTEGER NOT NULL REFERENCES runs (id),
    position INTEGER NOT NULL,
    file     TEXT NOT NULL,
    line     INTEGER NOT NULL CHECK (line >= 0),
    rule     TEXT NOT NULL,
    matches  INTEGER NOT NULL CHECK (matches >= 0),
    PRIMARY KEY (run_id, position)
);
)sql";

// Version 4: the provider's pulls, imported from the forced shell's receipts file
// (docs/forced-shell.md, "Receipts"). One row per receipt; an identical receipt imported twice
// (a crash between the import and the file's truncation) is one row.
constexpr std::string_view version_4 = R"sql(
CREATE TABLE pulls (
    id          INTEGER PRIMARY KEY,
    finished_at TEXT NOT NULL,
    client      TEXT NOT NULL,
    served      TEXT NOT NULL,
    whole       INTEGER NOT NULL CHECK (whole IN (0, 1)),
    status      INTEGER NOT NULL,
    UNIQUE (finished_at, client, served, whole)
);
CREATE INDEX pulls_by_served ON pulls (served, finished_at);
)sql";

// Version 5: each conffile's state as the last run that scanned saw it (one row per path; a path
// that is no conffile any more is deleted), so the next run can say which conffiles changed state.
constexpr std::string_view version_5 = R"sql(
CREATE TABLE conffile_states (
    path   BLOB PRIMARY KEY,
    state  TEXT NOT NULL
           CHECK (state IN ('unchanged', 'modified', 'missing', 'obsolete', 'new', 'unknown')),
    run_id INTEGER NOT NULL REFERENCES runs (id)
);
)sql";

// Version 6: `offstage drill` results, one row per subject (docs/catalog.md, docs/drill.md).
constexpr std::string_view version_6 = R"sql(
CREATE TABLE drills (
    id          INTEGER PRIMARY KEY,
    day         TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    subject     TEXT NOT NULL,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    detail      TEXT NOT NULL,
    bytes       INTEGER NOT NULL CHECK (bytes >= 0),
    seconds     REAL NOT NULL
);
CREATE INDEX drills_by_day ON drills (day);
)sql";

constexpr std::array<std::string_view, current_version> steps = {version_1, version_2, version_3,
                                                                 version_4, version_5, version_6};

} // namespace

std::span<const std::string_view> migrations() {
    return steps;
}

} // namespace offstage::catalog::schema
