// How the dump and its fingerprint see the same data (docs/databases.md, "Consistency"):
// a session F computes the fingerprint in a transaction, mariadb-dump reads in its own
// (--single-transaction). Two snapshots are equal when no write to the database's tables
// commits between them. So, for the few milliseconds it takes both to start, a third session
// holds LOCK TABLES ... WRITE on the database's transactional tables: a writer must wait for it,
// and it was only granted once no transaction held those tables. F and the dump start their
// snapshots under it and then block on their first read of a locked table; once the server's
// process list shows both waiting (each inside its transaction), the lock is released and both
// read the same frozen state. Non-transactional tables have no snapshot: under "lock-tables"
// a fourth session holds them read-locked until the dump and the fingerprint are both done.
#include "stager/sources/databases/mariadb_source.hpp"

#include "platform/child_process.hpp"
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "stager/sources/databases/mariadb_fingerprint.hpp"
#include "stager/sources/databases/mariadb_grants.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

namespace offstage::sources {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view completed_marker = "\n-- Dump completed";

// A database problem that is the input's, not the output's: recorded, the next one goes on.
struct DatabaseTrouble : std::runtime_error {
    report::ReasonCode code;
    DatabaseTrouble(report::ReasonCode reason, const std::string& message)
        : std::runtime_error(message)
        , code(reason) {}
};

report::ReasonCode reason_of(const platform::ChildProcessError& error) {
    return error.timed_out() ? report::ReasonCode::timeout : report::ReasonCode::child_failed;
}

std::string table_list(const std::vector<std::string>& names) {
    std::string text;
    for (const std::string& name : names) {
        text += (text.empty() ? "" : ", ") + platform::printable_name(name, 80);
    }
    return text;
}

// A session that holds LOCK TABLES until release(): the client sleeps inside the session, and
// KILL QUERY ends the sleep, so the session unlocks and exits by itself. Destroyed unreleased
// (an exception), it releases.
class HeldLock {
public:
    HeldLock(const MariadbClient& client, const std::string& lock_statement,
             std::chrono::seconds lock_timeout, std::chrono::seconds hold_limit)
        : client_(client) {
        std::string sql = "SET SESSION lock_wait_timeout = " +
                          std::to_string(std::max<long>(1, lock_timeout.count())) + ";\n" +
                          lock_statement + ";\nSELECT 'id', CONNECTION_ID(), '-';\nDO SLEEP(" +
                          std::to_string(hold_limit.count()) + ");\nUNLOCK TABLES;\n";
        thread_ = std::thread([this, sql, hold_limit] {
            try {
                client_.stream(
                    sql,
                    [this](const MariadbRow& row) {
                        if (row.size() == 3 && row[0] == "id") {
                            id_ = std::stoll(row[1]);
                            locked_at_ = Clock::now();
                        }
                    },
                    hold_limit + std::chrono::seconds(60), &stderr_);
            } catch (const std::exception& error) {
                std::lock_guard guard(mutex_);
                error_ = error.what();
            }
            done_ = true;
        });
        while (id_ == 0 && !done_) {
            std::this_thread::sleep_for(milliseconds(2));
        }
        if (id_ == 0) {
            thread_.join();
            bool timed_out = stderr_.find("Lock wait timeout") != std::string::npos;
            throw DatabaseTrouble(
                timed_out ? report::ReasonCode::lock_timeout : report::ReasonCode::child_failed,
                "cannot lock the tables (" + lock_statement.substr(0, 200) + "): " + error_);
        }
    }
    ~HeldLock() { release(); }
    long long id() const { return id_; }
    Clock::time_point locked_at() const { return locked_at_; }

    // Ends the hold; returns how long the lock was held.
    milliseconds release() {
        if (!thread_.joinable()) {
            return held_;
        }
        try {
            client_.query("KILL QUERY " + std::to_string(id_), std::chrono::seconds(30));
        } catch (const std::exception&) {
            // The server is gone: the session died with it, and its locks.
        }
        thread_.join();
        held_ = std::chrono::duration_cast<milliseconds>(Clock::now() - locked_at_);
        return held_;
    }

private:
    const MariadbClient& client_;
    std::thread thread_;
    std::atomic<long long> id_{0};
    std::atomic<bool> done_{false};
    Clock::time_point locked_at_;
    milliseconds held_{0};
    std::mutex mutex_;
    std::string error_;
    std::string stderr_;
};

std::string lock_statement(const std::string& database, const std::vector<std::string>& tables,
                           const char* mode) {
    std::string sql = "LOCK TABLES ";
    for (std::size_t i = 0; i < tables.size(); ++i) {
        sql += (i ? ", " : "") + quote_identifier(database) + "." + quote_identifier(tables[i]) +
               " " + mode;
    }
    return sql;
}

// Runs `work` in a thread; join() rethrows what it threw.
class Worker {
public:
    explicit Worker(std::function<void()> work)
        : thread_([this, work = std::move(work)] {
            try {
                work();
            } catch (...) {
                error_ = std::current_exception();
            }
            done_ = true;
        }) {}
    ~Worker() {
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    bool done() const { return done_; }
    void join() {
        if (thread_.joinable()) {
            thread_.join();
        }
        if (error_) {
            std::rethrow_exception(std::exchange(error_, nullptr));
        }
    }

private:
    std::exception_ptr error_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

} // namespace

struct MariadbSource::Totals {
    std::uint64_t databases = 0;
    std::uint64_t reused = 0;
    std::uint64_t tables = 0;
    std::uint64_t non_transactional = 0;
    std::uint64_t lock_ms = 0;
    std::uint64_t snapshot_lock_ms = 0;
};

std::string MariadbSource::artifact_stem(const std::string& database) {
    std::string stem = staging::encode_name_component(database);
    return stem == "users" ? "%75sers" : stem;
}

void MariadbSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    MariadbClient client(settings_.connection);
    std::string charset;
    std::vector<std::string> present;
    try {
        std::vector<MariadbRow> rows =
            client.query("SELECT 'charset', @@character_set_server;\n"
                         "SELECT 'database', HEX(SCHEMA_NAME) FROM information_schema.SCHEMATA "
                         "ORDER BY SCHEMA_NAME;\n",
                         settings_.connection.connect_timeout + std::chrono::seconds(30));
        for (const MariadbRow& row : rows) {
            if (row.size() == 2 && row[0] == "charset") {
                charset = row[1];
            } else if (row.size() == 2 && row[0] == "database") {
                present.push_back(from_hex(row[1]));
            }
        }
    } catch (const platform::ChildProcessError& error) {
        result.fail(reason_of(error),
                    "cannot reach the MariaDB server: " + std::string(error.what()));
        return;
    }
    static const std::vector<std::string> never{"information_schema", "performance_schema", "sys"};
    std::vector<std::string> chosen;
    auto listed = [](const std::vector<std::string>& list, const std::string& name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    // `mysql`, the server's own schema, is not taken by default: its accounts and grants are in
    // users.sql.zst.age, in the portable form (`--system=users`), and loading a whole `mysql`
    // schema into a server (of another version) replaces that server's own accounts. An admin
    // who wants it names it in `databases`.
    static const std::vector<std::string> not_by_default{"mysql"};
    if (settings_.databases.empty()) {
        for (const std::string& name : present) {
            if (!listed(never, name) && !listed(not_by_default, name) &&
                !listed(settings_.exclude, name)) {
                chosen.push_back(name);
            }
        }
    } else {
        for (const std::string& name : settings_.databases) {
            if (!listed(present, name)) {
                result.fail(report::ReasonCode::input_unreadable,
                            "database " + platform::printable_name(name) +
                                " (in [mariadb] databases) is not on the server");
            } else if (!listed(settings_.exclude, name) && !listed(never, name)) {
                chosen.push_back(name);
            }
        }
    }
    Totals totals;
    for (const std::string& database : chosen) {
        try {
            dump_database(writer, result, database, charset, totals);
        } catch (const DatabaseTrouble& trouble) {
            result.fail(trouble.code,
                        "database " + platform::printable_name(database) + ": " + trouble.what());
        } catch (const platform::ChildProcessError& error) {
            result.fail(reason_of(error),
                        "database " + platform::printable_name(database) + ": " + error.what());
        }
    }
    try {
        dump_users(writer, result);
    } catch (const DatabaseTrouble& trouble) {
        result.fail(trouble.code, std::string("users and grants: ") + trouble.what());
    } catch (const platform::ChildProcessError& error) {
        result.fail(reason_of(error), std::string("users and grants: ") + error.what());
    }
    result.counts["databases"] = totals.databases;
    result.counts["databases_reused"] = totals.reused;
    result.counts["tables"] = totals.tables;
    result.counts["non_transactional_tables"] = totals.non_transactional;
    result.counts["non_transactional_lock_ms"] = totals.lock_ms;
    result.counts["snapshot_lock_ms"] = totals.snapshot_lock_ms;
}

namespace {

// The dump's stdout into the artifact, keeping its last bytes for the completion marker. An
// exception of the artifact's (the output's) is kept apart: it fails the run, not the source.
struct DumpReceiver {
    platform::ByteSink* sink = nullptr;
    std::string tail;
    std::exception_ptr output_error;
    void operator()(std::string_view chunk) {
        try {
            sink->write(std::as_bytes(std::span(chunk.data(), chunk.size())));
        } catch (...) {
            output_error = std::current_exception();
            throw;
        }
        tail.append(chunk);
        if (tail.size() > 4096) {
            tail.erase(0, tail.size() - 256);
        }
    }
};

// Whether the dump text ended with mariadb-dump's last line.
bool completed(const std::string& tail) {
    std::size_t marker = tail.rfind(completed_marker);
    return marker != std::string::npos && tail.find('\n', marker + 1) + 1 >= tail.size() &&
           tail.back() == '\n';
}

void write_text(staging::ArtifactWriter::StreamArtifact& artifact, const std::string& text) {
    artifact.sink().write(std::as_bytes(std::span(text.data(), text.size())));
}

// Commits `dump` (or reuses yesterday's when its fingerprint is unchanged) and its fingerprint.
void commit_pair(staging::ArtifactWriter& writer, report::SourceResult& result,
                 std::unique_ptr<staging::ArtifactWriter::StreamArtifact> dump,
                 const std::string& dump_name, const std::string& fingerprint_name,
                 const std::string& fingerprint_text, bool& reused) {
    report::Digest key = writer.keyed_digest(fingerprint_text);
    reused = false;
    if (auto previous = writer.reuse(dump_name, key)) {
        dump.reset(); // unchanged: yesterday's artifact stands for today's dump
        result.artifacts.push_back(*previous);
        reused = true;
    } else {
        result.artifacts.push_back(dump->commit(key));
    }
    if (auto previous = reused ? writer.reuse(fingerprint_name, key) : std::nullopt) {
        result.artifacts.push_back(*previous);
        return;
    }
    auto fingerprint = writer.begin_stream(fingerprint_name);
    write_text(*fingerprint, fingerprint_text);
    result.artifacts.push_back(fingerprint->commit(key));
}

} // namespace

void MariadbSource::dump_database(staging::ArtifactWriter& writer, report::SourceResult& result,
                                  const std::string& database, const std::string& charset,
                                  Totals& totals) {
    MariadbClient client(settings_.connection);
    const std::string quoted_database = platform::printable_name(database);
    std::vector<MariadbTable> tables = mariadb_tables(client, database, settings_.timeout);
    std::vector<const MariadbTable*> fingerprinted;
    std::vector<std::string> transactional;
    std::vector<std::string> non_transactional;
    for (const MariadbTable& table : tables) {
        // The server's log tables take no lock ("You can't use locks with log tables") and hold
        // a log, not data: mariadb-dump writes their structure only, the fingerprint skips them.
        if (table.view ||
            (database == "mysql" && (table.name == "general_log" || table.name == "slow_log"))) {
            continue;
        }
        (table.transactional ? transactional : non_transactional).push_back(table.name);
        if (table.transactional || settings_.non_transactional != NonTransactional::skip) {
            fingerprinted.push_back(&table);
        }
    }
    MariadbFingerprint fingerprint;
    fingerprint.database = database;
    std::vector<std::string> dump_argv = settings_.connection.argv(settings_.connection.dump);
    dump_argv.insert(dump_argv.end(),
                     {"--single-transaction", "--routines", "--events", "--triggers", "--hex-blob",
                      "--skip-dump-date", "--max-allowed-packet=1G",
                      // utf8mb4 whatever the server's default (`charset`, often latin1): every
                      // column's characters convert to it and back without loss, where a
                      // latin1 connection turns a utf8mb4 column's CJK text into '?'.
                      "--default-character-set=utf8mb4"});
    static_cast<void>(charset);
    if (settings_.non_transactional == NonTransactional::skip) {
        fingerprint.skipped = non_transactional;
        for (const std::string& name : non_transactional) {
            dump_argv.push_back("--ignore-table=" + database + "." + name);
        }
    }
    dump_argv.insert(dump_argv.end(), {"--databases", "--", database});

    std::string dump_name = "db/mariadb/" + artifact_stem(database) + ".sql.zst.age";
    std::string fingerprint_name = "db/mariadb/" + artifact_stem(database) + ".fingerprint.zst.age";
    std::unique_ptr<staging::ArtifactWriter::StreamArtifact> artifact =
        writer.begin_stream(dump_name);

    // The sessions, in this order: the read lock on non-transactional tables, the freeze of the
    // transactional ones, then the fingerprint and the dump under the freeze.
    std::optional<HeldLock> read_lock;
    if (settings_.non_transactional == NonTransactional::lock_tables &&
        !non_transactional.empty()) {
        read_lock.emplace(client, lock_statement(database, non_transactional, "READ"),
                          settings_.lock_timeout, settings_.timeout);
    }
    std::optional<HeldLock> freeze;
    if (!transactional.empty()) {
        freeze.emplace(client, lock_statement(database, transactional, "WRITE"),
                       settings_.lock_timeout, settings_.timeout);
    }

    std::atomic<long long> fingerprint_session{0};
    std::vector<MariadbRow> fingerprint_rows;
    std::string fingerprint_sql =
        "SELECT 'id', CONNECTION_ID(), '-';\nSET SESSION lock_wait_timeout = " +
        std::to_string(settings_.timeout.count()) +
        ";\nSET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nSTART TRANSACTION WITH "
        "CONSISTENT SNAPSHOT;\n";
    for (const MariadbTable* table : fingerprinted) {
        fingerprint_sql += mariadb_table_fingerprint_sql(database, *table);
    }
    fingerprint_sql += mariadb_objects_sql(database) + "COMMIT;\n";
    std::string fingerprint_errors;
    Worker fingerprint_worker([&] {
        client.stream(
            fingerprint_sql,
            [&](const MariadbRow& row) {
                if (row.size() == 3 && row[0] == "id") {
                    fingerprint_session = std::stoll(row[1]);
                } else {
                    fingerprint_rows.push_back(row);
                }
            },
            settings_.timeout, &fingerprint_errors);
    });

    DumpReceiver receiver;
    receiver.sink = &artifact->sink();
    std::string dump_errors;
    Worker dump_worker([&] {
        platform::ChildProcess::Options options;
        options.environment = {{"LC_ALL", "C"}};
        options.timeout = settings_.timeout;
        options.error_output = &dump_errors;
        platform::ChildProcess::run(dump_argv, std::ref(receiver), options);
    });
    // Unwinding on an error, the locks go before the workers are joined: the sessions waiting
    // on them can then end.
    struct ReleaseFirst {
        std::optional<HeldLock>& freeze;
        std::optional<HeldLock>& read_lock;
        ~ReleaseFirst() {
            if (freeze) {
                freeze->release();
            }
            if (read_lock) {
                read_lock->release();
            }
        }
    } release_first{freeze, read_lock};

    if (freeze) {
        // Both sessions are inside their transactions once the server shows them waiting for
        // the freeze: each started its transaction before its first read (the fingerprint's
        // script; mariadb-dump --single-transaction starts it before any table's data), so a
        // session seen waiting at that read has its snapshot. The fingerprint's connection is
        // known by its id, the dump's by its data SELECT in this database.
        std::string waiting =
            "SELECT 'waiting', ID, LEFT(INFO, 31) = 'SELECT /*!40001 SQL_NO_CACHE */' FROM "
            "information_schema.PROCESSLIST WHERE STATE = 'Waiting for table metadata lock' AND "
            "(DB = " +
            utf8_literal(database) + " OR DB IS NULL);\n";
        auto deadline = Clock::now() + settings_.lock_timeout;
        bool aligned = false;
        std::string seen; // the last look at the process list, for the error
        while (!aligned && !dump_worker.done() && !fingerprint_worker.done() &&
               Clock::now() < deadline) {
            bool dump_waits = false;
            bool fingerprint_waits = false;
            seen.clear();
            for (const MariadbRow& row : client.query(waiting, std::chrono::seconds(30))) {
                if (row.size() != 3) {
                    continue;
                }
                seen += " " + row[1] + (row[2] == "1" ? " (a dump)" : "");
                fingerprint_waits =
                    fingerprint_waits || (fingerprint_session != 0 &&
                                          row[1] == std::to_string(fingerprint_session.load()));
                dump_waits = dump_waits || row[2] == "1";
            }
            aligned = dump_waits && fingerprint_waits;
            if (!aligned) {
                std::this_thread::sleep_for(milliseconds(5));
            }
        }
        totals.snapshot_lock_ms += static_cast<std::uint64_t>(freeze->release().count());
        if (!aligned) {
            // Let both end before saying why (an early error of the dump, or the wait).
            try {
                dump_worker.join();
            } catch (...) {
            }
            try {
                fingerprint_worker.join();
            } catch (...) {
            }
            if (receiver.output_error) {
                std::rethrow_exception(receiver.output_error);
            }
            throw DatabaseTrouble(
                report::ReasonCode::child_failed,
                "the dump and the fingerprint did not both start under the "
                "snapshot lock within " +
                    std::to_string(settings_.lock_timeout.count()) + " s (fingerprint session " +
                    std::to_string(fingerprint_session.load()) +
                    ", waiting:" + (seen.empty() ? " none" : seen) + ")" +
                    (dump_errors.empty() ? "" : ": " + dump_errors.substr(0, 300)));
        }
    }
    try {
        dump_worker.join();
    } catch (const platform::ChildProcessError& error) {
        if (receiver.output_error) {
            std::rethrow_exception(receiver.output_error);
        }
        try {
            fingerprint_worker.join();
        } catch (...) {
        }
        throw;
    }
    if (receiver.output_error) {
        std::rethrow_exception(receiver.output_error);
    }
    fingerprint_worker.join();
    milliseconds locked{0};
    if (read_lock) {
        locked = read_lock->release();
        totals.lock_ms += static_cast<std::uint64_t>(locked.count());
    }

    if (!completed(receiver.tail)) {
        throw DatabaseTrouble(report::ReasonCode::child_output_incomplete,
                              "mariadb-dump exited 0 but its output does not end with '-- Dump "
                              "completed': truncated after " +
                                  std::to_string(artifact->plaintext_bytes()) + " bytes");
    }
    if (!dump_errors.empty()) {
        throw DatabaseTrouble(report::ReasonCode::child_failed,
                              "mariadb-dump exited 0 but wrote on stderr: " +
                                  platform::printable_name(dump_errors, 300));
    }
    std::size_t next = 0;
    for (const MariadbTable* table : fingerprinted) {
        if (next >= fingerprint_rows.size()) {
            throw DatabaseTrouble(report::ReasonCode::child_output_incomplete,
                                  "the fingerprint has no row for table " +
                                      platform::printable_name(table->name));
        }
        MariadbTableFingerprint entry{table->name, table->engine, 0, "", true};
        read_table_fingerprint(fingerprint_rows[next++], entry);
        entry.consistent =
            table->transactional || settings_.non_transactional == NonTransactional::lock_tables;
        fingerprint.tables.push_back(std::move(entry));
    }
    fingerprint.objects = read_object_lines(std::vector<MariadbRow>(
        fingerprint_rows.begin() + static_cast<long>(next), fingerprint_rows.end()));

    bool reused = false;
    commit_pair(writer, result, std::move(artifact), dump_name, fingerprint_name,
                fingerprint.to_text(), reused);
    totals.databases += 1;
    totals.reused += reused ? 1 : 0;
    totals.tables += transactional.size() + non_transactional.size();
    totals.non_transactional += non_transactional.size();
    if (!non_transactional.empty()) {
        std::string names = table_list(non_transactional);
        switch (settings_.non_transactional) {
        case NonTransactional::lock_tables:
            // Consistent, so not a degradation; named so the admin knows who waited how long.
            result.problems.push_back(
                {report::ReasonCode::non_transactional,
                 "database " + quoted_database + ": non-transactional tables " + names +
                     " read-locked for " + std::to_string(locked.count()) + " ms"});
            break;
        case NonTransactional::skip:
            result.degrade(report::ReasonCode::non_transactional,
                           "database " + quoted_database + ": non-transactional tables " + names +
                               " left out (non_transactional = \"skip\")");
            break;
        case NonTransactional::warn:
            result.degrade(report::ReasonCode::non_transactional,
                           "database " + quoted_database + ": non-transactional tables " + names +
                               " dumped without a lock: they may be inconsistent");
            break;
        }
    }
}

void MariadbSource::dump_users(staging::ArtifactWriter& writer, report::SourceResult& result) {
    MariadbClient client(settings_.connection);
    MariadbFingerprint fingerprint;
    fingerprint.database = "mysql";
    fingerprint.objects = mariadb_users_now(client, settings_.timeout);
    std::string dump_name = "db/mariadb/users.sql.zst.age";
    auto artifact = writer.begin_stream(dump_name);
    DumpReceiver receiver;
    receiver.sink = &artifact->sink();
    std::string errors;
    // --system=users writes CREATE USER and GRANT statements a server of another version takes
    // (MariaDB 10.2.37, 10.3.28, 10.4.18, 10.5.9 and later); --replace makes them CREATE OR
    // REPLACE, so they restore over the accounts a fresh server already has.
    std::vector<std::string> argv = settings_.connection.argv(settings_.connection.dump);
    argv.insert(argv.end(), {"--system=users", "--replace", "--skip-dump-date",
                             "--default-character-set=utf8mb4"});
    platform::ChildProcess::Options options;
    options.environment = {{"LC_ALL", "C"}};
    options.timeout = settings_.timeout;
    options.error_output = &errors;
    try {
        platform::ChildProcess::run(argv, std::ref(receiver), options);
    } catch (const platform::ChildProcessError& error) {
        if (receiver.output_error) {
            std::rethrow_exception(receiver.output_error);
        }
        // A dump tool that predates --system refuses it before writing anything: the accounts
        // and grants are then queried and written as SQL by offstage (mariadb_grants.hpp).
        if (error.timed_out() || artifact->plaintext_bytes() != 0 ||
            !dump_tool_lacks_system_option(errors)) {
            throw;
        }
        receiver(mariadb_grants_sql(client, settings_.timeout));
        errors.clear();
    }
    if (!errors.empty()) {
        throw DatabaseTrouble(report::ReasonCode::child_failed,
                              "mariadb-dump --system=users wrote on stderr: " +
                                  platform::printable_name(errors, 300));
    }
    if (!completed(receiver.tail)) {
        throw DatabaseTrouble(report::ReasonCode::child_output_incomplete,
                              "the users dump: no '-- Dump completed' line");
    }
    bool reused = false;
    commit_pair(writer, result, std::move(artifact), dump_name,
                "db/mariadb/users.fingerprint.zst.age", fingerprint.to_text(), reused);
}

} // namespace offstage::sources
