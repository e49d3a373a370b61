#include "stager/drill/mariadb_drill.hpp"

#include "platform/child_process.hpp"
#include "platform/config_file.hpp"
#include "platform/fd_stream.hpp"
#include "platform/printable_name.hpp"
#include "stager/drill/artifact_reader.hpp"
#include "stager/sources/databases/mariadb_fingerprint.hpp"

#include <algorithm>
#include <fcntl.h>
#include <map>
#include <random>
#include <set>
#include <unistd.h>

namespace fs = std::filesystem;

namespace offstage::drill {

namespace {

using sources::MariadbFingerprint;
using Clock = std::chrono::steady_clock;

constexpr std::string_view prefix = "db/mariadb/";
constexpr std::string_view dump_suffix = ".sql.zst.age";
constexpr std::chrono::hours restore_timeout{24};

std::string read_all(const DrillContext& context, const std::string& name) {
    ArtifactReader reader(context.day, name, context.identities);
    std::string text;
    std::vector<std::byte> buffer(1 << 16);
    while (std::size_t n = reader.read(buffer)) {
        text.append(reinterpret_cast<const char*>(buffer.data()), n);
    }
    return text;
}

// The plaintext of `name` into `path` (mode 0600), returning its size.
std::uint64_t unpack(const DrillContext& context, const std::string& name, const fs::path& path) {
    platform::UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (fd.get() < 0) {
        throw std::system_error(errno, std::generic_category(), "cannot create " + path.string());
    }
    platform::FdSink sink(fd.get(), path.string());
    ArtifactReader reader(context.day, name, context.identities);
    std::uint64_t bytes = reader.copy_to(sink);
    sink.finish();
    return bytes;
}

bool wanted(const DrillContext& context, const std::string& subject) {
    if (context.only.empty()) {
        return true;
    }
    for (const std::string& only : context.only) {
        if (only == "db" || only == "mariadb" || only == subject) {
            return true;
        }
    }
    return false;
}

std::string name_of(const std::string& line) {
    // "kind HEX digest" -> "kind NAME"
    std::size_t space = line.find(' ');
    std::size_t second = line.find(' ', space + 1);
    return line.substr(0, space) + " " +
           platform::printable_name(sources::from_hex(line.substr(space + 1, second - space - 1)),
                                    80);
}

// What differs between the fingerprint at dump time and the restored database; empty: equal.
std::vector<std::string> compare(const MariadbFingerprint& expected,
                                 const MariadbFingerprint& restored) {
    std::vector<std::string> differences;
    std::map<std::string, const sources::MariadbTableFingerprint*> now;
    for (const auto& table : restored.tables) {
        now[table.name] = &table;
    }
    for (const auto& table : expected.tables) {
        std::string name = "table " + platform::printable_name(table.name, 80);
        auto found = now.find(table.name);
        if (found == now.end()) {
            differences.push_back(name + ": missing");
            continue;
        }
        const auto& got = *found->second;
        std::string lax = table.consistent ? "" : " (dumped unlocked)";
        if (got.rows != table.rows) {
            differences.push_back(name + ": " + std::to_string(got.rows) + " rows, fingerprint " +
                                  std::to_string(table.rows) + lax);
        } else if (got.checksum != table.checksum) {
            differences.push_back(name + ": rows differ in content" + lax);
        }
        now.erase(found);
    }
    for (const auto& [name, table] : now) {
        differences.push_back("table " + platform::printable_name(name, 80) +
                              ": not in the fingerprint");
    }
    std::set<std::string> objects(restored.objects.begin(), restored.objects.end());
    std::set<std::string> wanted_objects(expected.objects.begin(), expected.objects.end());
    for (const std::string& object : wanted_objects) {
        if (!objects.contains(object)) {
            differences.push_back(name_of(object) + ": missing or different");
        }
    }
    for (const std::string& object : objects) {
        if (!wanted_objects.contains(object)) {
            differences.push_back(name_of(object) + ": not in the fingerprint");
        }
    }
    return differences;
}

std::string summary(const MariadbFingerprint& fingerprint) {
    std::map<std::string, int> kinds;
    for (const std::string& object : fingerprint.objects) {
        kinds[object.substr(0, object.find(' '))] += 1;
    }
    std::string text = std::to_string(fingerprint.tables.size()) + " tables equal";
    for (const char* kind : {"routine", "trigger", "event", "view"}) {
        text += ", " + std::to_string(kinds[kind]) + " " + kind + (kinds[kind] == 1 ? "" : "s");
    }
    return text;
}

std::string differences_text(const std::vector<std::string>& differences, bool only_lax) {
    std::string text;
    for (std::size_t i = 0; i < differences.size() && i < 5; ++i) {
        text += (i ? "; " : "") + differences[i];
    }
    if (differences.size() > 5) {
        text += "; and " + std::to_string(differences.size() - 5) + " more";
    }
    return only_lax ? "equal but for tables dumped unlocked: " + text : text;
}

DrillVerdict drill_database(const DrillContext& context, const MariadbServer& server,
                            const std::string& stem, std::uint64_t& sequence) {
    DrillVerdict verdict;
    verdict.subject = "mariadb/" + stem;
    auto started = Clock::now();
    std::string base = std::string(prefix) + stem;
    try {
        MariadbFingerprint expected =
            MariadbFingerprint::parse(read_all(context, base + ".fingerprint.zst.age"));
        fs::path plaintext =
            server.directory() / ("restore-" + std::to_string(sequence++) + ".sql");
        verdict.plaintext_bytes = unpack(context, base + std::string(dump_suffix), plaintext);
        sources::MariadbClient client = server.root_client();
        try {
            client.query("source " + plaintext.string() + "\n", restore_timeout);
        } catch (const platform::ChildProcessError& error) {
            fs::remove(plaintext);
            verdict.detail = std::string("restore failed: ") + error.what();
            verdict.elapsed = Clock::now() - started;
            return verdict;
        }
        fs::remove(plaintext);
        MariadbFingerprint restored = sources::mariadb_fingerprint_now(
            client, expected.database, restore_timeout, expected.version);
        std::vector<std::string> differences = compare(expected, restored);
        bool only_lax = !differences.empty() &&
                        std::all_of(differences.begin(), differences.end(), [](const auto& line) {
                            return line.ends_with("(dumped unlocked)");
                        });
        verdict.ok = differences.empty() || only_lax;
        verdict.detail =
            differences.empty() ? summary(expected) : differences_text(differences, only_lax);
    } catch (const std::exception& error) {
        verdict.ok = false;
        verdict.detail = std::string("cannot drill: ") + error.what();
    }
    verdict.elapsed = Clock::now() - started;
    return verdict;
}

DrillVerdict drill_users(const DrillContext& context, const MariadbServer& server) {
    DrillVerdict verdict;
    verdict.subject = "mariadb/users";
    auto started = Clock::now();
    try {
        MariadbFingerprint expected = MariadbFingerprint::parse(
            read_all(context, std::string(prefix) + "users.fingerprint.zst.age"));
        std::string dump = read_all(context, std::string(prefix) + "users.sql.zst.age");
        verdict.plaintext_bytes = dump.size();
        // The dump replaces root@localhost too (CREATE OR REPLACE drops its grants until its
        // GRANT line), so it is loaded by an account of the drill's own, whose password is
        // random and passes only through the client's stdin and a 0600 defaults file.
        std::random_device random;
        std::string password;
        for (int i = 0; i < 32; ++i) {
            password.push_back("0123456789abcdef"[random() % 16]);
        }
        server.root_client().query(
            "CREATE USER offstage_drill@localhost IDENTIFIED BY '" + password +
                "';\nGRANT ALL PRIVILEGES ON *.* TO offstage_drill@localhost WITH GRANT OPTION;\n"
                "GRANT PROXY ON ''@'%' TO offstage_drill@localhost WITH GRANT OPTION;\n",
            std::chrono::seconds(60));
        fs::path defaults = server.directory() / "offstage-drill.cnf";
        {
            platform::UniqueFd fd(
                ::open(defaults.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (fd.get() < 0) {
                throw std::system_error(errno, std::generic_category(),
                                        "cannot create " + defaults.string());
            }
            platform::FdSink sink(fd.get(), defaults.string());
            std::string text = "[client]\nuser = offstage_drill\npassword = " + password + "\n";
            sink.write(std::as_bytes(std::span(text.data(), text.size())));
        }
        sources::MariadbConnection connection = server.root_connection();
        connection.user.clear();
        connection.defaults_file = defaults;
        std::vector<sources::MariadbRow> rows =
            sources::MariadbClient(connection)
                .query(dump + "\n" + sources::mariadb_users_sql(), restore_timeout);
        std::vector<std::string> lines = sources::read_object_lines(rows);
        std::set<std::string> restored(lines.begin(), lines.end());
        std::vector<std::string> missing;
        for (const std::string& line : expected.objects) {
            if (!restored.contains(line)) {
                missing.push_back(name_of(line) + ": missing or different");
            }
        }
        verdict.ok = missing.empty();
        verdict.detail =
            missing.empty() ? std::to_string(expected.objects.size()) + " accounts and grants equal"
                            : differences_text(missing, false);
    } catch (const std::exception& error) {
        verdict.detail = std::string("cannot drill: ") + error.what();
    }
    verdict.elapsed = Clock::now() - started;
    return verdict;
}

} // namespace

std::vector<DrillVerdict> MariadbDrill::run(const DrillContext& context) {
    std::vector<std::string> stems;
    bool users = false;
    for (const std::string& name : context.artifacts) {
        if (!name.starts_with(prefix) || !name.ends_with(dump_suffix)) {
            continue;
        }
        std::string stem =
            name.substr(prefix.size(), name.size() - prefix.size() - dump_suffix.size());
        if (stem.find('/') != std::string::npos || !wanted(context, "mariadb/" + stem)) {
            continue;
        }
        if (stem == "users") {
            users = true;
        } else {
            stems.push_back(stem);
        }
    }
    std::vector<DrillVerdict> verdicts;
    if (stems.empty() && !users) {
        return verdicts;
    }
    MariadbServer server(server_);
    std::uint64_t sequence = 0;
    for (const std::string& stem : stems) {
        verdicts.push_back(drill_database(context, server, stem, sequence));
    }
    if (users) {
        verdicts.push_back(drill_users(context, server));
    }
    return verdicts;
}

} // namespace offstage::drill
