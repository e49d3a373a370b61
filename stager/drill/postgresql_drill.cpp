#include "stager/drill/postgresql_drill.hpp"

#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "stager/drill/database_drill_support.hpp"
#include "stager/drill/postgresql_server.hpp"
#include "stager/sources/databases/postgresql_source.hpp"

#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::drill {

namespace fs = std::filesystem;
using sources::PostgresqlSource;

namespace {

using Clock = std::chrono::steady_clock;

// The errors psql printed restoring the globals, but the one every restore into a fresh
// cluster meets: its bootstrap superuser exists already.
std::string unexpected_errors(const std::string& stderr_text) {
    std::istringstream in(stderr_text);
    std::string line;
    std::string found;
    while (std::getline(in, line)) {
        if (line.find("ERROR:") == std::string::npos ||
            line.find("role \"postgres\" already exists") != std::string::npos) {
            continue;
        }
        found += (found.empty() ? "" : "; ") + platform::printable_name(line);
    }
    return found;
}

std::string quoted_identifier(const std::string& name) {
    std::string quoted = "\"";
    for (char c : name) {
        quoted += c;
        if (c == '"') {
            quoted += '"';
        }
    }
    return quoted + "\"";
}

DrillVerdict verdict_for(std::string subject, Clock::time_point started) {
    DrillVerdict verdict;
    verdict.subject = std::move(subject);
    verdict.elapsed = Clock::now() - started;
    return verdict;
}

} // namespace

std::vector<DrillVerdict> PostgresqlDrill::run(const DrillContext& context) {
    // NAME.pgdump.zst.age; days staged before pg_dump ran with -Z0 hold NAME.pgdump.age, which
    // the artifact reader does not decompress (it goes by the name).
    std::vector<std::pair<std::string, std::string>> databases;
    for (const char* suffix : {".pgdump.zst.age", ".pgdump.age"}) {
        for (const std::string& stem : selected_stems(context, "postgresql", suffix)) {
            databases.emplace_back(stem, "db/postgresql/" + stem + suffix);
        }
    }
    std::sort(databases.begin(), databases.end());
    const bool globals = has_artifact(context, PostgresqlSource::globals_artifact());
    if (databases.empty() && !globals) {
        return {};
    }
    // The server's directory is the OS user's, inside the scratch directory: that one must let
    // it pass (not read: 0711).
    if (::geteuid() == 0) {
        ::chmod(context.scratch.c_str(), 0711);
    }
    PostgresqlServerOptions options;
    options.parent = context.scratch;
    PostgresqlServer server(options);
    const sources::PostgresqlClient& client = server.client();
    std::vector<DrillVerdict> verdicts;

    if (globals) {
        auto started = Clock::now();
        DrillVerdict verdict = verdict_for("postgresql/globals", started);
        try {
            std::string sql = artifact_text(context, PostgresqlSource::globals_artifact());
            verdict.plaintext_bytes = sql.size();
            std::string errors;
            platform::ChildProcess::Options run = client.options();
            run.input = sql;
            run.error_output = &errors;
            platform::ChildProcess::output(
                {client.psql.string(), "-X", "-q", "-d", client.conninfo("postgres")}, run);
            std::string unexpected = unexpected_errors(errors);
            std::string expected = artifact_text(context, PostgresqlSource::roles_artifact());
            std::string found =
                std::string(sources::postgresql_roles_header) +
                sources::sorted_lines(
                    client.query("postgres", std::string(sources::postgresql_session_settings()) +
                                                 std::string(sources::postgresql_roles_queries())));
            std::string difference = fingerprint_difference(expected, found);
            verdict.ok = unexpected.empty() && difference.empty();
            verdict.detail = !unexpected.empty()  ? "restoring the globals: " + unexpected
                             : difference.empty() ? "roles and memberships equal"
                                                  : "roles differ: " + difference;
        } catch (const std::exception& error) {
            verdict.detail = error.what();
        }
        verdict.elapsed = Clock::now() - started;
        verdicts.push_back(std::move(verdict));
    }

    for (const auto& [stem, artifact] : databases) {
        auto started = Clock::now();
        const std::string database = decode_name_component(stem);
        DrillVerdict verdict = verdict_for("postgresql/" + stem, started);
        const fs::path file = server.directory() / ("restore-" + stem + ".pgdump");
        try {
            verdict.plaintext_bytes = artifact_to_file(context, artifact, file);
            if (client.os_user && ::chown(file.c_str(), client.os_user->uid, client.os_user->gid)) {
                throw std::runtime_error("chown " + file.string() + " failed");
            }
            // --create makes the database as it was (encoding, owner, settings, grants); one the
            // fresh cluster has already ("postgres") goes first. From template1, which no dump
            // restores (the templates are never dumped).
            client.query("template1",
                         "DROP DATABASE IF EXISTS " + quoted_identifier(database) + ";\n");
            std::string errors;
            platform::ChildProcess::Options run = client.options();
            run.error_output = &errors;
            platform::ChildProcess::output({client.pg_restore.string(), "--create",
                                            "--exit-on-error", "-d", client.conninfo("template1"),
                                            file.string()},
                                           run);
            std::string expected =
                artifact_text(context, "db/postgresql/" + stem + ".fingerprint.zst.age");
            const int version = sources::postgresql_fingerprint_version_of(expected);
            std::string found =
                sources::postgresql_fingerprint_header(version) +
                sources::sorted_lines(
                    client.query(database, std::string(sources::postgresql_session_settings()) +
                                               sources::postgresql_fingerprint_queries(version)));
            std::string difference = fingerprint_difference(expected, found);
            verdict.ok = difference.empty() && errors.empty();
            verdict.detail = !errors.empty() ? "pg_restore: " + platform::printable_name(errors)
                             : difference.empty()
                                 ? std::to_string(fingerprint_tables(expected)) + " tables equal"
                                 : difference;
            client.query("template1", "DROP DATABASE " + quoted_identifier(database) + ";\n");
        } catch (const std::exception& error) {
            verdict.detail = error.what();
        }
        std::error_code ignored;
        fs::remove(file, ignored);
        verdict.elapsed = Clock::now() - started;
        verdicts.push_back(std::move(verdict));
    }
    return verdicts;
}

} // namespace offstage::drill
