#include "stager/catalog/catalog.hpp"

#include "platform/unique_fd.hpp"
#include "stager/catalog/catalog_error.hpp"
#include "stager/catalog/catalog_schema.hpp"
#include "stager/catalog/sqlite_connection.hpp"
#include "stager/catalog/sqlite_statement.hpp"
#include "stager/catalog/sqlite_transaction.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <set>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::catalog {
namespace {

using report::all_outcomes;
using report::all_reason_codes;
using report::Digest;
using report::Outcome;
using report::ReasonCode;
using report::RunStatus;

std::string hex(const Digest& digest) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string text;
    for (std::uint8_t byte : digest) {
        text += digits[byte >> 4];
        text += digits[byte & 0xf];
    }
    return text;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// The schema's CHECK keeps the length; a digit outside [0-9a-f] is someone's hand edit.
Digest digest_from_hex(std::string_view text, const std::filesystem::path& file) {
    Digest digest{};
    for (std::size_t i = 0; i < digest.size(); ++i) {
        int high = i * 2 + 1 < text.size() ? hex_value(text[i * 2]) : -1;
        int low = i * 2 + 1 < text.size() ? hex_value(text[i * 2 + 1]) : -1;
        if (high < 0 || low < 0) {
            throw CatalogError("catalog " + file.string() + ": a digest is not 64 hex digits");
        }
        digest[i] = static_cast<std::uint8_t>(high * 16 + low);
    }
    return digest;
}

// RFC 3339 UTC to the second, as report.json writes times.
std::string rfc3339(std::chrono::system_clock::time_point when) {
    std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::chrono::system_clock::time_point from_rfc3339(const std::string& text,
                                                   const std::filesystem::path& file) {
    std::tm tm{};
    const char* end = ::strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == nullptr || *end != '\0') {
        throw CatalogError("catalog " + file.string() + ": \"" + text +
                           "\" is not an RFC 3339 UTC time");
    }
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// The text of an enum value back to the value; an unknown word means a newer writer or an edit.
template <typename Enum, std::size_t N>
Enum parse_word(const std::string& word, const std::array<Enum, N>& values,
                const std::filesystem::path& file) {
    for (Enum value : values) {
        if (to_string(value) == word) {
            return value;
        }
    }
    throw CatalogError("catalog " + file.string() + ": unknown value \"" + word + "\"");
}

constexpr std::array all_statuses{RunStatus::complete, RunStatus::degraded, RunStatus::failed};

std::int64_t checked_int64(std::uint64_t value, const std::filesystem::path& file) {
    if (value > static_cast<std::uint64_t>(INT64_MAX)) {
        throw CatalogError("catalog " + file.string() + ": a count or size above 2^63");
    }
    return static_cast<std::int64_t>(value);
}

int read_user_version(const SqliteConnection& connection) {
    SqliteStatement statement(connection, "PRAGMA user_version");
    if (!statement.step()) {
        connection.fail(SQLITE_ERROR, "read the schema version");
    }
    return static_cast<int>(statement.integer(0));
}

void refuse_newer(const SqliteConnection& connection, int version) {
    if (version > schema::current_version) {
        throw CatalogError("catalog " + connection.path().string() + " has schema version " +
                           std::to_string(version) + ", newer than this offstage knows (" +
                           std::to_string(schema::current_version) +
                           "): refusing to use it (was offstage downgraded?)");
    }
    if (version < 0) {
        throw CatalogError("catalog " + connection.path().string() + " has schema version " +
                           std::to_string(version) + ", which no offstage writes");
    }
}

// Every step from the file's version to the current one, each in its own transaction that also
// sets user_version, so a crash mid-migration leaves a database at a version it really has.
void migrate(const SqliteConnection& connection) {
    // Without a write lock first: a reader of a current catalog must not wait for a run.
    if (read_user_version(connection) == schema::current_version) {
        return;
    }
    for (;;) {
        Transaction transaction(connection);
        // Read again under the write lock: another process may have migrated meanwhile.
        int version = read_user_version(connection);
        refuse_newer(connection, version);
        if (version == schema::current_version) {
            return; // nothing to commit: the guard rolls the empty transaction back
        }
        std::string_view step = schema::migrations()[static_cast<std::size_t>(version)];
        std::string what = "migrate from schema version " + std::to_string(version);
        connection.execute(step, what);
        connection.execute("PRAGMA user_version = " + std::to_string(version + 1), what);
        transaction.commit();
    }
}

// The file and its directory, made private before SQLite ever writes a byte: annoying paths are
// stored, and SQLite gives its -wal and -shm files the database's own mode.
void create_file(const std::filesystem::path& path) {
    std::filesystem::path parent = path.parent_path();
    if (!parent.empty() && ::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
        throw CatalogError("catalog " + path.string() + ": create its directory " +
                           parent.string() + ": " + std::strerror(errno));
    }
    platform::UniqueFd fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
        if (errno == EEXIST) {
            return; // another process created it meanwhile: open it as it is
        }
        throw CatalogError("catalog " + path.string() + ": create: " + std::strerror(errno));
    }
    if (::fchmod(fd.get(), 0600) != 0) {
        throw CatalogError("catalog " + path.string() + ": chmod 0600: " + std::strerror(errno));
    }
}

// A symlink or a directory is refused with a clear word rather than SQLite's "unable to open".
bool check_existing(const std::filesystem::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        if (errno == ENOENT) {
            return false;
        }
        throw CatalogError("catalog " + path.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        throw CatalogError("catalog " + path.string() +
                           " is not a regular file (a symlink is not followed)");
    }
    return true;
}

std::unique_ptr<SqliteConnection> connect(const CatalogSettings& settings) {
    auto connection = std::make_unique<SqliteConnection>(settings.path, settings.busy_timeout);
    // Before anything writes: a newer schema is refused without touching the file.
    refuse_newer(*connection, read_user_version(*connection));
    connection->execute("PRAGMA foreign_keys = ON", "enable foreign keys");
    {
        // Scoped: a statement left stepping would keep a read open and make COMMIT fail busy.
        SqliteStatement journal(*connection, "PRAGMA journal_mode = WAL");
        if (!journal.step() || journal.text(0) != "wal") {
            throw CatalogError("catalog " + settings.path.string() +
                               ": could not switch to WAL mode (journal mode \"" + journal.text(0) +
                               "\")");
        }
    }
    migrate(*connection);
    return connection;
}

void load_sources(const SqliteConnection& connection, RecordedRun& recorded) {
    const std::filesystem::path& file = connection.path();
    std::int64_t id = recorded.id;
    std::vector<report::SourceResult>& sources = recorded.run.sources;
    SqliteStatement source_rows(connection,
                                "SELECT name, kind, outcome, duration_seconds FROM sources "
                                "WHERE run_id = ? ORDER BY position");
    source_rows.bind_integer(1, id);
    while (source_rows.step()) {
        report::SourceResult source;
        source.name = source_rows.text(0);
        source.kind = source_rows.text(1);
        source.outcome = parse_word(source_rows.text(2), all_outcomes, file);
        source.duration = std::chrono::duration<double>(source_rows.real(3));
        sources.push_back(std::move(source));
    }
    auto find = [&](const std::string& name) -> report::SourceResult& {
        auto it = std::find_if(sources.begin(), sources.end(),
                               [&](const report::SourceResult& s) { return s.name == name; });
        if (it == sources.end()) { // the foreign keys make this unreachable unless edited
            throw CatalogError("catalog " + file.string() + ": a row names no source \"" + name +
                               "\"");
        }
        return *it;
    };
    SqliteStatement problems(connection, "SELECT source, code, detail FROM problems "
                                         "WHERE run_id = ? ORDER BY source, position");
    problems.bind_integer(1, id);
    while (problems.step()) {
        find(problems.text(0))
            .problems.push_back(
                {parse_word(problems.text(1), all_reason_codes, file), problems.text(2)});
    }
    SqliteStatement counts(connection,
                           "SELECT source, key, value FROM source_counts WHERE run_id = ?");
    counts.bind_integer(1, id);
    while (counts.step()) {
        find(counts.text(0)).counts[counts.text(1)] = static_cast<std::uint64_t>(counts.integer(2));
    }
    SqliteStatement artifacts(connection,
                              "SELECT source, name, bytes, sha256, plaintext_digest, reused "
                              "FROM artifacts WHERE run_id = ? ORDER BY rowid");
    artifacts.bind_integer(1, id);
    while (artifacts.step()) {
        report::ArtifactRecord artifact;
        artifact.name = artifacts.text(1);
        artifact.bytes = static_cast<std::uint64_t>(artifacts.integer(2));
        artifact.sha256 = digest_from_hex(artifacts.text(3), file);
        if (!artifacts.is_null(4)) {
            artifact.plaintext_digest = digest_from_hex(artifacts.text(4), file);
        }
        artifact.reused = artifacts.integer(5) != 0;
        find(artifacts.text(0)).artifacts.push_back(std::move(artifact));
    }
}

} // namespace

Catalog::Catalog(std::unique_ptr<SqliteConnection> connection)
    : connection_(std::move(connection)) {}
Catalog::Catalog(Catalog&&) noexcept = default;
Catalog& Catalog::operator=(Catalog&&) noexcept = default;
Catalog::~Catalog() = default;

Catalog Catalog::open(const CatalogSettings& settings) {
    if (!check_existing(settings.path)) {
        create_file(settings.path);
    }
    return Catalog(connect(settings));
}

std::optional<Catalog> Catalog::open_existing(const CatalogSettings& settings) {
    if (!check_existing(settings.path)) {
        return std::nullopt;
    }
    return Catalog(connect(settings));
}

const std::filesystem::path& Catalog::path() const {
    return connection_->path();
}

int Catalog::schema_version() const {
    return read_user_version(*connection_);
}

std::int64_t Catalog::record(const report::RunResult& run) {
    const SqliteConnection& db = *connection_;
    const std::filesystem::path& file = db.path();
    Transaction transaction(db);
    try {
        SqliteStatement insert_run(
            db, "INSERT INTO runs (day, host, started_at, finished_at, status, failure, "
                "offstage_version, annoying_scanned) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
        insert_run.bind_text(1, run.day)
            .bind_text(2, run.host)
            .bind_text(3, rfc3339(run.started_at))
            .bind_text(4, rfc3339(run.finished_at))
            .bind_text(5, to_string(run.status))
            .bind_text(6, run.failure)
            .bind_text(7, run.offstage_version)
            .bind_integer(8, run.annoying_files_scanned ? 1 : 0)
            .run();
        std::int64_t id = sqlite3_last_insert_rowid(db.handle());

        SqliteStatement insert_source(
            db, "INSERT INTO sources (run_id, position, name, kind, outcome, duration_seconds) "
                "VALUES (?, ?, ?, ?, ?, ?)");
        SqliteStatement insert_problem(
            db, "INSERT INTO problems (run_id, source, position, code, detail) "
                "VALUES (?, ?, ?, ?, ?)");
        SqliteStatement insert_count(
            db, "INSERT INTO source_counts (run_id, source, key, value) VALUES (?, ?, ?, ?)");
        SqliteStatement insert_artifact(
            db, "INSERT INTO artifacts (run_id, source, name, bytes, sha256, plaintext_digest, "
                "reused) VALUES (?, ?, ?, ?, ?, ?, ?)");
        std::int64_t position = 0;
        for (const report::SourceResult& source : run.sources) {
            insert_source.bind_integer(1, id)
                .bind_integer(2, position++)
                .bind_text(3, source.name)
                .bind_text(4, source.kind)
                .bind_text(5, to_string(source.outcome))
                .bind_real(6, source.duration.count())
                .run();
            std::int64_t problem_position = 0;
            for (const report::Problem& problem : source.problems) {
                insert_problem.bind_integer(1, id)
                    .bind_text(2, source.name)
                    .bind_integer(3, problem_position++)
                    .bind_text(4, to_string(problem.code))
                    .bind_text(5, problem.detail)
                    .run();
            }
            for (const auto& [key, value] : source.counts) {
                insert_count.bind_integer(1, id)
                    .bind_text(2, source.name)
                    .bind_text(3, key)
                    .bind_integer(4, checked_int64(value, file))
                    .run();
            }
            for (const report::ArtifactRecord& artifact : source.artifacts) {
                insert_artifact.bind_integer(1, id)
                    .bind_text(2, source.name)
                    .bind_text(3, artifact.name)
                    .bind_integer(4, checked_int64(artifact.bytes, file))
                    .bind_text(5, hex(artifact.sha256));
                if (artifact.plaintext_digest) {
                    insert_artifact.bind_text(6, hex(*artifact.plaintext_digest));
                } else {
                    insert_artifact.bind_null(6);
                }
                insert_artifact.bind_integer(7, artifact.reused ? 1 : 0).run();
            }
        }

        SqliteStatement insert_rule(
            db, "INSERT INTO rule_matches (run_id, position, file, line, rule, matches) "
                "VALUES (?, ?, ?, ?, ?, ?)");
        std::int64_t rule_position = 0;
        for (const report::RuleMatchCount& rule : run.rule_matches) {
            insert_rule.bind_integer(1, id)
                .bind_integer(2, rule_position++)
                .bind_text(3, rule.file)
                .bind_integer(4, rule.line)
                .bind_text(5, rule.rule)
                .bind_integer(6, checked_int64(rule.matches, file))
                .run();
        }

        if (run.annoying_files_scanned) {
            SqliteStatement upsert(
                db, "INSERT INTO annoying_files (path, first_seen, last_seen, last_run_id) "
                    "VALUES (?1, ?2, ?2, ?3) ON CONFLICT (path) DO UPDATE SET "
                    "last_seen = excluded.last_seen, last_run_id = excluded.last_run_id");
            for (const report::AnnoyingFile& annoying : run.annoying_files) {
                upsert.bind_blob(1, annoying.path).bind_text(2, run.day).bind_integer(3, id).run();
            }
        }
        if (run.conffiles_scanned) {
            SqliteStatement upsert(
                db, "INSERT INTO conffile_states (path, state, run_id) VALUES (?, ?, ?) "
                    "ON CONFLICT (path) DO UPDATE SET state = excluded.state, "
                    "run_id = excluded.run_id");
            for (const report::ConffileStatus& conffile : run.conffiles) {
                upsert.bind_blob(1, conffile.path)
                    .bind_text(2, conffile.state)
                    .bind_integer(3, id)
                    .run();
            }
            SqliteStatement gone(db, "DELETE FROM conffile_states WHERE run_id <> ?");
            gone.bind_integer(1, id).run();
        }
        transaction.commit();
        return id;
    } catch (const CatalogError& error) {
        throw CatalogError("record the run of " + run.day + ": " + error.what() +
                           " (the catalog is unchanged)");
    }
}

void Catalog::fill_annoying_changes(report::RunResult& run) const {
    run.new_annoying_files.clear();
    run.gone_annoying_files.clear();
    if (!run.annoying_files_scanned) {
        return;
    }
    std::set<std::string> previous;
    SqliteStatement query(*connection_, "SELECT path FROM annoying_files WHERE last_run_id = "
                                        "(SELECT max(id) FROM runs WHERE annoying_scanned = 1)");
    while (query.step()) {
        previous.insert(query.blob(0));
    }
    std::set<std::string> current;
    for (const report::AnnoyingFile& annoying : run.annoying_files) {
        current.insert(annoying.path);
    }
    // std::set<std::string> orders by unsigned bytes (char_traits<char>::compare is memcmp).
    std::set_difference(current.begin(), current.end(), previous.begin(), previous.end(),
                        std::back_inserter(run.new_annoying_files));
    std::set_difference(previous.begin(), previous.end(), current.begin(), current.end(),
                        std::back_inserter(run.gone_annoying_files));
}

void Catalog::fill_conffile_changes(report::RunResult& run) const {
    run.changed_conffiles.reset();
    if (!run.conffiles_scanned) {
        return;
    }
    // Both maps order by unsigned bytes (std::string's compare is memcmp).
    std::map<std::string, std::string> previous;
    SqliteStatement query(*connection_, "SELECT path, state FROM conffile_states");
    while (query.step()) {
        previous[query.blob(0)] = query.text(1);
    }
    std::map<std::string, std::string> current;
    for (const report::ConffileStatus& conffile : run.conffiles) {
        current[conffile.path] = conffile.state;
    }
    // "unchanged" and "new" (unpacked, not configured yet) are what a package brings or
    // leaves: appearing or vanishing in one of them is a package's doing, not the admin's.
    auto as_shipped = [](const std::string& state) {
        return state == "unchanged" || state == "new";
    };
    std::vector<report::ConffileChange>& changes = run.changed_conffiles.emplace();
    auto before = previous.begin();
    auto after = current.begin();
    while (before != previous.end() || after != current.end()) {
        if (after == current.end() || (before != previous.end() && before->first < after->first)) {
            if (!as_shipped(before->second)) {
                changes.push_back({before->first, before->second, ""});
            }
            ++before;
        } else if (before == previous.end() || after->first < before->first) {
            if (!as_shipped(after->second)) {
                changes.push_back({after->first, "", after->second});
            }
            ++after;
        } else {
            if (before->second != after->second) {
                changes.push_back({after->first, before->second, after->second});
            }
            ++before;
            ++after;
        }
    }
}

std::optional<ReusableArtifact> Catalog::reusable_artifact(std::string_view name) const {
    SqliteStatement query(*connection_,
                          "SELECT runs.day, artifacts.plaintext_digest, artifacts.sha256, "
                          "artifacts.bytes FROM artifacts JOIN runs ON runs.id = artifacts.run_id "
                          "WHERE artifacts.run_id = (SELECT max(id) FROM runs WHERE status IN "
                          "('complete', 'degraded')) AND artifacts.name = ? "
                          "AND artifacts.plaintext_digest IS NOT NULL");
    query.bind_text(1, name);
    if (!query.step()) {
        return std::nullopt;
    }
    ReusableArtifact artifact;
    artifact.day = query.text(0);
    artifact.plaintext_digest = digest_from_hex(query.text(1), path());
    artifact.sha256 = digest_from_hex(query.text(2), path());
    artifact.bytes = static_cast<std::uint64_t>(query.integer(3));
    return artifact;
}

std::vector<RecordedRun> Catalog::recent_runs(std::size_t limit, std::int64_t up_to_id) const {
    const std::filesystem::path& file = path();
    std::vector<RecordedRun> runs;
    SqliteStatement query(*connection_,
                          "SELECT id, day, host, started_at, finished_at, status, failure, "
                          "offstage_version, annoying_scanned FROM runs WHERE id <= ? "
                          "ORDER BY id DESC LIMIT ?");
    query.bind_integer(1, up_to_id);
    query.bind_integer(2, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (query.step()) {
        RecordedRun recorded;
        recorded.id = query.integer(0);
        report::RunResult& run = recorded.run;
        run.day = query.text(1);
        run.host = query.text(2);
        run.started_at = from_rfc3339(query.text(3), file);
        run.finished_at = from_rfc3339(query.text(4), file);
        run.status = parse_word(query.text(5), all_statuses, file);
        run.failure = query.text(6);
        run.offstage_version = query.text(7);
        run.annoying_files_scanned = query.integer(8) != 0;
        runs.push_back(std::move(recorded));
    }
    for (RecordedRun& recorded : runs) {
        load_sources(*connection_, recorded);
    }
    return runs;
}

std::map<std::string, AnnoyingFileDates> Catalog::annoying_file_dates() const {
    std::map<std::string, AnnoyingFileDates> dates;
    SqliteStatement query(*connection_, "SELECT path, first_seen, last_seen FROM annoying_files");
    while (query.step()) {
        dates[query.blob(0)] = {query.text(1), query.text(2)};
    }
    return dates;
}

std::optional<LastScan> Catalog::last_scan() const {
    SqliteStatement newest(*connection_, "SELECT id, day FROM runs WHERE annoying_scanned = 1 "
                                         "ORDER BY id DESC LIMIT 1");
    if (!newest.step()) {
        return std::nullopt;
    }
    LastScan scan;
    scan.run_id = newest.integer(0);
    scan.day = newest.text(1);
    SqliteStatement paths(*connection_, "SELECT path FROM annoying_files WHERE last_run_id = ?");
    paths.bind_integer(1, scan.run_id);
    while (paths.step()) {
        scan.annoying.push_back(paths.blob(0));
    }
    std::sort(scan.annoying.begin(), scan.annoying.end());
    return scan;
}

MailHistory Catalog::mail_history(std::int64_t run_id) const {
    MailHistory history;
    SqliteStatement previous(*connection_, "SELECT max(id) FROM runs WHERE id < ?");
    previous.bind_integer(1, run_id);
    if (previous.step() && !previous.is_null(0)) {
        std::int64_t id = previous.integer(0);
        for (RecordedRun& recorded : recent_runs(1, id)) {
            history.previous = std::move(recorded.run);
        }
    }
    SqliteStatement sent(*connection_, "SELECT started_at FROM runs WHERE id < ? AND "
                                       "mail = 'sent' ORDER BY id DESC LIMIT 1");
    sent.bind_integer(1, run_id);
    if (sent.step()) {
        history.last_sent = from_rfc3339(sent.text(0), path());
    }
    return history;
}

void Catalog::record_mail(std::int64_t run_id, std::string_view state) {
    SqliteStatement update(*connection_, "UPDATE runs SET mail = ? WHERE id = ?");
    update.bind_text(1, state).bind_integer(2, run_id).run();
}

std::vector<report::RuleMatchCount> Catalog::stale_rules(std::size_t runs) const {
    std::vector<std::int64_t> scans;
    SqliteStatement newest(*connection_,
                           "SELECT DISTINCT run_id FROM rule_matches ORDER BY run_id DESC LIMIT ?");
    newest.bind_integer(1, static_cast<std::int64_t>(std::min<std::size_t>(runs, INT64_MAX)));
    while (newest.step()) {
        scans.push_back(newest.integer(0));
    }
    std::vector<report::RuleMatchCount> stale;
    if (runs == 0 || scans.size() < runs) {
        return stale;
    }
    // A rule is its file and its text: lines move when a rule is added above it.
    struct Seen {
        std::size_t scans = 0;
        std::uint64_t matches = 0;
    };
    std::map<std::pair<std::string, std::string>, Seen> seen;
    SqliteStatement rows(*connection_, "SELECT file, rule, matches FROM rule_matches "
                                       "WHERE run_id >= ? AND run_id <= ?");
    rows.bind_integer(1, scans.back()).bind_integer(2, scans.front());
    while (rows.step()) {
        Seen& entry = seen[{rows.text(0), rows.text(1)}];
        ++entry.scans;
        entry.matches += static_cast<std::uint64_t>(rows.integer(2));
    }
    SqliteStatement latest(*connection_, "SELECT file, line, rule FROM rule_matches "
                                         "WHERE run_id = ? ORDER BY position");
    latest.bind_integer(1, scans.front());
    while (latest.step()) {
        auto it = seen.find({latest.text(0), latest.text(2)});
        // Present in every one of the scans (a rule written twice in one file counts twice).
        if (it != seen.end() && it->second.scans >= runs && it->second.matches == 0) {
            stale.push_back(
                {latest.text(0), static_cast<unsigned>(latest.integer(1)), latest.text(2), 0});
        }
    }
    return stale;
}

std::size_t Catalog::record_pulls(const std::vector<PullRecord>& pulls) {
    const SqliteConnection& db = *connection_;
    Transaction transaction(db);
    try {
        SqliteStatement insert(db, "INSERT OR IGNORE INTO pulls (finished_at, client, served, "
                                   "whole, status) VALUES (?, ?, ?, ?, ?)");
        std::size_t added = 0;
        for (const PullRecord& pull : pulls) {
            insert.bind_text(1, rfc3339(pull.finished_at))
                .bind_text(2, pull.client)
                .bind_text(3, pull.served)
                .bind_integer(4, pull.whole ? 1 : 0)
                .bind_integer(5, pull.status)
                .run();
            added += static_cast<std::size_t>(sqlite3_changes(db.handle()));
        }
        SqliteStatement trim(db,
                             "DELETE FROM pulls WHERE id NOT IN "
                             "(SELECT id FROM pulls ORDER BY finished_at DESC, id DESC LIMIT ?)");
        trim.bind_integer(1, static_cast<std::int64_t>(max_pulls)).run();
        transaction.commit();
        return added;
    } catch (const CatalogError& error) {
        throw CatalogError(std::string("record the provider's pulls: ") + error.what() +
                           " (the catalog is unchanged)");
    }
}

std::vector<PullRecord> Catalog::recent_pulls(std::size_t limit) const {
    std::vector<PullRecord> pulls;
    SqliteStatement query(*connection_, "SELECT finished_at, client, served, whole, status "
                                        "FROM pulls ORDER BY finished_at DESC, id DESC LIMIT ?");
    query.bind_integer(1, static_cast<std::int64_t>(std::min<std::size_t>(limit, INT64_MAX)));
    while (query.step()) {
        pulls.push_back({from_rfc3339(query.text(0), path()), query.text(1), query.text(2),
                         query.integer(3) != 0, static_cast<int>(query.integer(4))});
    }
    return pulls;
}

void Catalog::for_each_annoying(AnnoyingSet which,
                                const std::function<void(std::string_view)>& visit) const {
    std::string sql;
    switch (which) {
    case AnnoyingSet::current:
        sql = "SELECT path FROM annoying_files WHERE last_run_id = "
              "(SELECT max(id) FROM runs WHERE annoying_scanned = 1)";
        break;
    case AnnoyingSet::fresh:
        sql = "SELECT path FROM annoying_files, (SELECT id, day FROM runs WHERE annoying_scanned "
              "= 1 ORDER BY id DESC LIMIT 1) AS latest WHERE last_run_id = latest.id AND "
              "first_seen = latest.day AND first_seen > coalesce((SELECT day FROM runs WHERE "
              "annoying_scanned = 1 AND id < latest.id ORDER BY id DESC LIMIT 1), '')";
        break;
    case AnnoyingSet::gone: // last listed by the scan before the newest
        sql = "SELECT path FROM annoying_files WHERE last_run_id = (SELECT id FROM runs WHERE "
              "annoying_scanned = 1 ORDER BY id DESC LIMIT 1 OFFSET 1)";
        break;
    }
    SqliteStatement query(*connection_, sql);
    while (query.step()) {
        visit(query.blob(0));
    }
}

void Catalog::backup_to(const std::filesystem::path& destination) const {
    std::string what = "back up to " + destination.string();
    {
        platform::UniqueFd fd(::open(destination.c_str(),
                                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd || ::fchmod(fd.get(), 0600) != 0) {
            throw CatalogError("catalog " + path().string() + ": " + what + ": " +
                               std::strerror(errno));
        }
    }
    try {
        SqliteConnection target(destination, std::chrono::milliseconds(0));
        sqlite3_backup* backup =
            sqlite3_backup_init(target.handle(), "main", connection_->handle(), "main");
        if (backup == nullptr) {
            target.fail(sqlite3_errcode(target.handle()), what);
        }
        int step = sqlite3_backup_step(backup, -1); // every page in one pass: a consistent copy
        int finish = sqlite3_backup_finish(backup);
        if (step != SQLITE_DONE) {
            connection_->fail(step, what);
        }
        if (finish != SQLITE_OK) {
            connection_->fail(finish, what);
        }
    } catch (...) {
        ::unlink(destination.c_str()); // half a copy is worse than none
        throw;
    }
}

void Catalog::record_drills(const std::vector<DrillRecord>& drills) {
    const SqliteConnection& db = *connection_;
    Transaction transaction(db);
    SqliteStatement insert(db, "INSERT INTO drills (day, started_at, subject, ok, detail, bytes, "
                               "seconds) VALUES (?, ?, ?, ?, ?, ?, ?)");
    for (const DrillRecord& drill : drills) {
        insert.bind_text(1, drill.day)
            .bind_text(2, rfc3339(drill.started_at))
            .bind_text(3, drill.subject)
            .bind_integer(4, drill.ok ? 1 : 0)
            .bind_text(5, drill.detail)
            .bind_integer(6, static_cast<std::int64_t>(drill.bytes))
            .bind_real(7, drill.seconds)
            .run();
        insert.reset();
    }
    transaction.commit();
}

} // namespace offstage::catalog
