#include "stager/sources/databases/postgresql_source.hpp"

#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "stager/sources/databases/fed_child.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>

namespace offstage::sources {

namespace {

using platform::ChildProcessError;

// Trouble with the server or a dump (not with our output): it fails this database, named.
class DumpProblem : public std::runtime_error {
public:
    DumpProblem(report::ReasonCode code, const std::string& message)
        : std::runtime_error(message)
        , code_(code) {}
    report::ReasonCode code() const { return code_; }

private:
    report::ReasonCode code_;
};

report::ReasonCode code_of(const ChildProcessError& error) {
    return error.timed_out() ? report::ReasonCode::timeout : report::ReasonCode::child_failed;
}

std::string quoted_name(const std::string& database) {
    return "'" + platform::printable_name(database) + "'";
}

// The first line of a child's stderr, for a message.
std::string first_line(const std::string& text) {
    std::string line = text.substr(0, text.find('\n'));
    return platform::printable_name(line);
}

std::span<const std::byte> bytes_of(std::string_view text) {
    return std::as_bytes(std::span(text.data(), text.size()));
}

// The dump with the keys of its \restrict and \unrestrict lines left out: since 15.14 (and
// 13.22, 14.19...), pg_dumpall puts a random key there in every dump, which says nothing of the
// content and must not defeat reuse.
std::string without_restrict_keys(const std::string& dump) {
    std::string kept;
    std::size_t start = 0;
    while (start < dump.size()) {
        std::size_t end = dump.find('\n', start);
        end = end == std::string::npos ? dump.size() : end + 1;
        std::string_view line(dump.data() + start, end - start);
        if (line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ")) {
            line = line.substr(0, line.find(' ') + 1);
        }
        kept += line;
        start = end;
    }
    return kept;
}

// Writes `text` as a stream artifact (or links yesterday's, same key) and records it.
void stage_text(staging::ArtifactWriter& writer, report::SourceResult& result,
                const std::string& name, const std::string& text, const report::Digest& key) {
    if (auto reused = writer.reuse(name, key)) {
        result.artifacts.push_back(*reused);
        return;
    }
    auto artifact = writer.begin_stream(name);
    artifact->sink().write(bytes_of(text));
    result.artifacts.push_back(artifact->commit(key));
}

// psql holding the dump's snapshot: it exports the snapshot, prints the fingerprint taken in it,
// and keeps the transaction open (waiting for more input) until finish() closes its input.
class SnapshotSession {
public:
    // `limit` bounds the session: the fingerprint must be there within it, and psql is killed
    // past twice that (it holds the transaction while pg_dump runs, itself bounded by `limit`).
    SnapshotSession(const PostgresqlClient& client, const std::string& database,
                    std::chrono::seconds limit)
        : limit_(limit)
        , child_(client.psql_argv(database), session_options(client, limit),
                 [this](std::string_view chunk) { take(chunk); }) {
        std::string script(postgresql_session_settings());
        script += "SET lock_timeout = '" + std::to_string(client.timeout.count()) + "s';\n";
        script += "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY;\n"
                  "SELECT 'snapshot ' || pg_catalog.pg_export_snapshot();\n";
        script += postgresql_fingerprint_queries();
        script += std::string("\\echo ") + end_marker + "\n";
        child_.write(script);
    }

    // Waits for the fingerprint; throws DumpProblem (psql's own message) when psql ended first.
    void wait() {
        std::unique_lock lock(mutex_);
        const auto deadline = std::chrono::steady_clock::now() + limit_;
        while (output_.find(std::string("\n") + end_marker + "\n") == std::string::npos) {
            if (std::chrono::steady_clock::now() >= deadline) {
                throw DumpProblem(report::ReasonCode::timeout, "psql: no fingerprint after " +
                                                                   std::to_string(limit_.count()) +
                                                                   " s (dump_timeout)");
            }
            if (child_.ended()) {
                lock.unlock();
                finish(); // throws psql's error
                throw DumpProblem(report::ReasonCode::child_output_incomplete,
                                  "psql ended before the fingerprint was complete");
            }
            changed_.wait_for(lock, std::chrono::milliseconds(50));
        }
        std::string text = output_.substr(0, output_.find(std::string("\n") + end_marker) + 1);
        if (!text.starts_with("snapshot ")) {
            throw DumpProblem(report::ReasonCode::child_output_incomplete,
                              "psql printed no snapshot: " + first_line(text));
        }
        std::size_t end = text.find('\n');
        snapshot_ = text.substr(9, end - 9);
        fingerprint_ = postgresql_fingerprint_header() + sorted_lines(text.substr(end + 1));
    }
    const std::string& snapshot() const { return snapshot_; }
    const std::string& fingerprint() const { return fingerprint_; }

    // Ends the transaction (psql reads the end of its input and quits).
    void finish() {
        try {
            child_.finish();
        } catch (const ChildProcessError& error) {
            throw DumpProblem(code_of(error), error.what());
        }
    }

private:
    static constexpr const char* end_marker = "@@offstage-fingerprint-end";
    static platform::ChildProcess::Options session_options(const PostgresqlClient& client,
                                                           std::chrono::seconds limit) {
        platform::ChildProcess::Options options = client.options();
        options.timeout = 2 * limit + std::chrono::seconds(60);
        return options;
    }
    void take(std::string_view chunk) {
        std::lock_guard lock(mutex_);
        output_.append(chunk);
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::string output_;
    std::string snapshot_;
    std::string fingerprint_;
    std::chrono::seconds limit_;
    FedChild child_; // last: its thread calls take() until it is finished
};

} // namespace

PostgresqlSource::PostgresqlSource(PostgresqlSettings settings)
    : settings_(std::move(settings)) {}

std::string PostgresqlSource::dump_artifact(const std::string& database) {
    return "db/postgresql/" + staging::encode_name_component(database) + ".pgdump.zst.age";
}

std::string PostgresqlSource::fingerprint_artifact(const std::string& database) {
    return "db/postgresql/" + staging::encode_name_component(database) + ".fingerprint.zst.age";
}

PostgresqlClient PostgresqlSource::client() const {
    bool every_tool = !settings_.psql.empty() && !settings_.pg_dump.empty() &&
                      !settings_.pg_dumpall.empty() && !settings_.pg_restore.empty();
    PostgresqlClient client;
    if (!every_tool) {
        client = PostgresqlClient::in(settings_.bin_dir.empty() ? newest_postgresql_bin_dir()
                                                                : settings_.bin_dir);
    }
    for (auto [tool, configured] :
         {std::pair{&client.psql, &settings_.psql}, std::pair{&client.pg_dump, &settings_.pg_dump},
          std::pair{&client.pg_dumpall, &settings_.pg_dumpall},
          std::pair{&client.pg_restore, &settings_.pg_restore}}) {
        if (!configured->empty()) {
            *tool = *configured;
        }
    }
    client.os_user = platform::ChildUser::lookup(settings_.os_user);
    client.socket_dir = settings_.socket_dir;
    client.port = settings_.port;
    client.timeout = settings_.timeout;
    return client;
}

void PostgresqlSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    PostgresqlClient client;
    std::vector<std::string> databases;
    try {
        client = this->client();
        std::vector<std::string> present = client.databases();
        std::set<std::string> excluded(settings_.exclude.begin(), settings_.exclude.end());
        if (settings_.databases.empty()) {
            databases = present;
        }
        for (const std::string& wanted : settings_.databases) {
            if (std::find(present.begin(), present.end(), wanted) == present.end()) {
                result.fail(report::ReasonCode::input_unreadable,
                            "postgresql database " + quoted_name(wanted) +
                                " (in [postgresql] databases) does not exist or takes no "
                                "connections");
            } else {
                databases.push_back(wanted);
            }
        }
        std::erase_if(databases, [&](const std::string& name) { return excluded.contains(name); });
    } catch (const ChildProcessError& error) {
        result.fail(code_of(error),
                    "postgresql: cannot list the databases: " + std::string(error.what()));
        return;
    } catch (const std::runtime_error& error) {
        // No client programs, no such OS user, a reply that is not a list of names.
        result.fail(report::ReasonCode::disabled, "postgresql: " + std::string(error.what()));
        return;
    }
    dump_globals(client, writer, result);
    for (const std::string& database : databases) {
        dump_database(client, database, writer, result);
    }
}

void PostgresqlSource::dump_globals(const PostgresqlClient& client, staging::ArtifactWriter& writer,
                                    report::SourceResult& result) {
    std::string roles;
    std::string globals;
    try {
        roles = std::string(postgresql_roles_header) +
                sorted_lines(client.query("postgres", std::string(postgresql_session_settings()) +
                                                          std::string(postgresql_roles_queries())));
        std::string errors;
        platform::ChildProcess::Options options = client.options();
        options.error_output = &errors;
        options.timeout = settings_.dump_timeout;
        globals = platform::ChildProcess::output(
            {client.pg_dumpall.string(), "--globals-only", "-d", client.conninfo("postgres")},
            options);
        if (!errors.empty()) {
            throw DumpProblem(report::ReasonCode::child_failed,
                              "pg_dumpall --globals-only wrote to stderr: " + first_line(errors));
        }
        if (!globals.ends_with("-- PostgreSQL database cluster dump complete\n--\n\n")) {
            throw DumpProblem(report::ReasonCode::child_output_incomplete,
                              "pg_dumpall --globals-only: the dump does not end with its "
                              "completion marker");
        }
    } catch (const ChildProcessError& error) {
        result.fail(code_of(error), "postgresql globals: " + std::string(error.what()));
        return;
    } catch (const DumpProblem& problem) {
        result.fail(problem.code(), "postgresql globals: " + std::string(problem.what()));
        return;
    }
    stage_text(writer, result, globals_artifact(), globals,
               writer.keyed_digest(without_restrict_keys(globals)));
    stage_text(writer, result, roles_artifact(), roles, writer.keyed_digest(roles));
}

void PostgresqlSource::dump_database(const PostgresqlClient& client, const std::string& database,
                                     staging::ArtifactWriter& writer,
                                     report::SourceResult& result) {
    const std::string dump_name = dump_artifact(database);
    const std::string fingerprint_name = fingerprint_artifact(database);
    try {
        SnapshotSession session(client, database, settings_.dump_timeout);
        session.wait();
        const std::string& fingerprint = session.fingerprint();
        const report::Digest key = writer.keyed_digest(fingerprint);
        result.counts["databases"] += 1;
        std::uint64_t tables = 0;
        for (std::size_t at = 0; (at = fingerprint.find("\ntable ", at)) != std::string::npos;
             ++at) {
            ++tables;
        }
        result.counts["tables"] += tables;
        if (auto reused = writer.reuse(dump_name, key)) {
            result.artifacts.push_back(*reused);
            stage_text(writer, result, fingerprint_name, fingerprint, key);
            result.counts["databases_reused"] += 1;
            return;
        }

        // The dump, streamed into its artifact and, at the same time, into pg_restore, which
        // reads it whole (every TOC entry, every data block): a dump cut anywhere fails there.
        std::string restore_errors;
        platform::ChildProcess::Options check_options = client.options();
        check_options.error_output = &restore_errors;
        FedChild check({client.pg_restore.string(), "-f", "/dev/null"}, check_options,
                       [](std::string_view) {});
        auto artifact = writer.begin_stream(dump_name);
        std::string dump_errors;
        platform::ChildProcess::Options dump_options = client.options();
        dump_options.error_output = &dump_errors;
        // A pg_dump that stalls mid-dump (a hung backend, a stuck disk) is killed: the database
        // fails with `timeout`, yesterday's artifact stays, and the run goes on.
        dump_options.timeout = settings_.dump_timeout;
        try {
            platform::ChildProcess::run(
                // -Z0: the custom format uncompressed, then zstd like every other artifact.
                // pg_dump's own zlib was most of the dump's time (100 MiB of rows: 2.8 s, 0.5 s
                // with -Z0, 0.95 s with zstd -3 after it, for an output 7% smaller), and
                // pg_restore's check below reads the stream without inflating it.
                {client.pg_dump.string(), "-Fc", "-Z0", "--snapshot=" + session.snapshot(),
                 "--lock-wait-timeout=" + std::to_string(client.timeout.count()) + "s", "-d",
                 client.conninfo(database)},
                [&](std::string_view chunk) {
                    artifact->sink().write(bytes_of(chunk));
                    check.write(chunk); // false: pg_restore gave up; its status says why
                },
                dump_options);
        } catch (const ChildProcessError& error) {
            throw DumpProblem(code_of(error), error.what());
        }
        if (!dump_errors.empty()) {
            throw DumpProblem(report::ReasonCode::child_failed,
                              "pg_dump wrote to stderr: " + first_line(dump_errors));
        }
        try {
            check.finish();
        } catch (const ChildProcessError& error) {
            throw DumpProblem(report::ReasonCode::child_output_incomplete,
                              "the dump does not read back whole (" +
                                  std::to_string(artifact->plaintext_bytes()) +
                                  " bytes): " + error.what());
        }
        result.artifacts.push_back(artifact->commit(key));
        stage_text(writer, result, fingerprint_name, fingerprint, key);
        // The session's transaction ends with it (its destructor): pg_dump held the snapshot
        // from its start, so how psql ends no longer matters to the dump.
    } catch (const DumpProblem& problem) {
        result.fail(problem.code(),
                    "postgresql database " + quoted_name(database) + ": " + problem.what());
    } catch (const ChildProcessError& error) {
        result.fail(code_of(error),
                    "postgresql database " + quoted_name(database) + ": " + error.what());
    }
}

} // namespace offstage::sources
