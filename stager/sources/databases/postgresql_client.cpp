#include "stager/sources/databases/postgresql_client.hpp"

#include <algorithm>
#include <stdexcept>
#include <unistd.h>

namespace offstage::sources {

namespace fs = std::filesystem;

fs::path newest_postgresql_bin_dir(const fs::path& base) {
    // Versions are directory names: "15", "16", "9.6"; compared as numbers, part by part.
    auto version_of = [](const std::string& name) {
        std::vector<long> parts;
        std::size_t start = 0;
        while (start <= name.size()) {
            std::size_t end = name.find('.', start);
            std::string part = name.substr(start, end == std::string::npos ? end : end - start);
            if (part.empty() || !std::all_of(part.begin(), part.end(), ::isdigit)) {
                return std::vector<long>{};
            }
            parts.push_back(std::stol(part));
            if (end == std::string::npos) {
                break;
            }
            start = end + 1;
        }
        return parts;
    };
    std::vector<long> best;
    fs::path found;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(base, error)) {
        std::vector<long> version = version_of(entry.path().filename().string());
        fs::path bin = entry.path() / "bin";
        if (!version.empty() && version > best && ::access((bin / "pg_dump").c_str(), X_OK) == 0) {
            best = version;
            found = bin;
        }
    }
    if (found.empty()) {
        throw std::runtime_error("no PostgreSQL client programs under " + base.string() +
                                 "/VERSION/bin (the postgresql-client package)");
    }
    return found;
}

PostgresqlClient PostgresqlClient::in(const fs::path& bin_dir) {
    PostgresqlClient client;
    client.psql = bin_dir / "psql";
    client.pg_dump = bin_dir / "pg_dump";
    client.pg_dumpall = bin_dir / "pg_dumpall";
    client.pg_restore = bin_dir / "pg_restore";
    return client;
}

namespace {

// A libpq connection-string value: single-quoted, with \ and ' escaped.
std::string conninfo_value(std::string_view value) {
    std::string text = "'";
    for (char c : value) {
        if (c == '\\' || c == '\'') {
            text += '\\';
        }
        text += c;
    }
    return text + "'";
}

} // namespace

std::string PostgresqlClient::conninfo(const std::string& database) const {
    return "host=" + conninfo_value(socket_dir.string()) + " port=" + std::to_string(port) +
           " dbname=" + conninfo_value(database);
}

platform::ChildProcess::Options PostgresqlClient::options() const {
    platform::ChildProcess::Options options;
    options.user = os_user;
    options.working_directory = "/";
    options.environment = {{"LC_ALL", "C.UTF-8"},
                           {"PGCONNECT_TIMEOUT", std::to_string(timeout.count())}};
    return options;
}

std::vector<std::string> PostgresqlClient::psql_argv(const std::string& database) const {
    return {psql.string(),     "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
            conninfo(database)};
}

std::string PostgresqlClient::query(const std::string& database, const std::string& sql) const {
    platform::ChildProcess::Options run = options();
    run.input = sql;
    run.timeout = timeout * 2 + std::chrono::seconds(30);
    return platform::ChildProcess::output(psql_argv(database), run);
}

std::vector<std::string> PostgresqlClient::databases() const {
    std::string listed =
        query("postgres", "SELECT to_json(datname) FROM pg_database WHERE datallowconn AND NOT "
                          "datistemplate ORDER BY datname COLLATE \"C\";\n");
    std::vector<std::string> names;
    std::size_t start = 0;
    while (start < listed.size()) {
        std::size_t end = listed.find('\n', start);
        std::string line = listed.substr(start, end == std::string::npos ? end : end - start);
        if (!line.empty()) {
            names.push_back(decode_json_string(line));
        }
        start = end == std::string::npos ? listed.size() : end + 1;
    }
    return names;
}

std::string_view postgresql_session_settings() {
    // search_path '' makes every name in regclass and definitions schema-qualified.
    return "SET DateStyle = ISO, YMD;\nSET IntervalStyle = postgres;\nSET TimeZone = 'UTC';\n"
           "SET extra_float_digits = 3;\nSET bytea_output = hex;\nSET search_path = '';\n";
}

namespace {

// User objects only: not the system schemas...
std::string in_user_schema(std::string_view ns) {
    const std::string n(ns);
    return "(" + n + ".nspname NOT IN ('pg_catalog', 'information_schema') AND " + n +
           ".nspname !~ '^pg_(toast|temp_|toast_temp_)')";
}

// ...and not what an extension owns (its script makes it).
std::string not_of_an_extension(std::string_view catalog, std::string_view oid) {
    return "NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '" +
           std::string(catalog) + "'::pg_catalog.regclass AND d.objid = " + std::string(oid) +
           " AND d.deptype = 'e')";
}

// The fingerprint's lines besides the tables' rows, one query per kind of object, one line per
// object: "KIND NAME ...", what a restore must bring back. Each query names the object's
// namespace n; `extension_oid` is empty where the object cannot belong to an extension by
// itself (a trigger is its table's).
struct ObjectQuery {
    std::string_view line;
    std::string_view from;
    std::string_view condition; // before the user-schema test, or empty
    std::string_view catalog;
    std::string_view extension_oid;
};

constexpr ObjectQuery object_queries[] = {
    {"'schema ' || to_json(n.nspname)::text"
     " || ' owner ' || to_json(pg_catalog.pg_get_userbyid(n.nspowner))::text"
     " || ' acl ' || to_json(coalesce(n.nspacl::text, ''))::text",
     "pg_catalog.pg_namespace n", "", "pg_namespace", "n.oid"},
    {"'relation ' || to_json(c.oid::regclass::text)::text || ' kind ' || c.relkind::text"
     " || ' owner ' || to_json(pg_catalog.pg_get_userbyid(c.relowner))::text"
     " || ' acl ' || to_json(coalesce(c.relacl::text, ''))::text",
     "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
     "c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')", "pg_class", "c.oid"},
    {"'view ' || to_json(c.oid::regclass::text)::text"
     " || ' ' || md5(pg_catalog.pg_get_viewdef(c.oid))",
     "pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
     "c.relkind IN ('v', 'm')", "pg_class", "c.oid"},
    {"'routine ' || to_json(p.oid::regprocedure::text)::text"
     " || ' ' || md5(pg_catalog.pg_get_functiondef(p.oid))"
     " || ' owner ' || to_json(pg_catalog.pg_get_userbyid(p.proowner))::text"
     " || ' acl ' || to_json(coalesce(p.proacl::text, ''))::text",
     "pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace",
     "p.prokind IN ('f', 'p')", "pg_proc", "p.oid"},
    {"'trigger ' || to_json(c.oid::regclass::text || ' ' || t.tgname)::text"
     " || ' ' || md5(pg_catalog.pg_get_triggerdef(t.oid))",
     "pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid\n"
     "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
     "NOT t.tgisinternal", "", ""},
};

// One query per user table, each selecting its line (`sums`: the row sums of the version),
// made by the first query and run by psql's \gexec.
std::string table_queries(std::string_view sums) {
    return "SELECT pg_catalog.format('SELECT %L || '' rows '' || count(*) || '' sum '' || " +
           std::string(sums) +
           " FROM ONLY %s AS t', 'table ' || to_json(c.oid::regclass::text)::text, "
           "c.oid::regclass)\n"
           "FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace\n"
           "WHERE c.relkind = 'r' AND " +
           in_user_schema("n") + " AND " + not_of_an_extension("pg_class", "c.oid") +
           "\nORDER BY c.oid::regclass::text COLLATE \"C\" \\gexec\n";
}

std::string object_queries_text() {
    std::string text;
    for (const ObjectQuery& query : object_queries) {
        text +=
            "SELECT " + std::string(query.line) + "\nFROM " + std::string(query.from) + "\nWHERE ";
        if (!query.condition.empty()) {
            text += std::string(query.condition) + " AND ";
        }
        text += in_user_schema("n");
        if (!query.catalog.empty()) {
            text += " AND " + not_of_an_extension(query.catalog, query.extension_oid);
        }
        text += ";\n";
    }
    return text;
}
} // namespace

std::string postgresql_fingerprint_queries(int version) {
    // Per table: the row count and the sum of the first 64 bits of each row's md5 (a numeric
    // sum: no overflow, no order, one row in memory at a time however big the table), so that a
    // row missing, added, changed or doubled changes the line. Version 1 also summed the second
    // 64 bits, computing the md5 twice: 1.8 s of the server's CPU for 100 MiB of rows, where
    // pg_dump -Z0 takes 0.5 s. \gexec runs one query per table in this same session, so in the
    // same snapshot.
    std::string sums = "coalesce(sum((''x'' || substr(md5(t::text), 1, 16))::bit(64)::bigint::"
                       "numeric), 0)";
    if (version == 1) {
        sums += " || '' '' || coalesce(sum((''x'' || substr(md5(t::text), 17, 16))::bit(64)::"
                "bigint::numeric), 0)";
    }
    return table_queries(sums) + object_queries_text();
}

std::string postgresql_fingerprint_header(int version) {
    return "offstage postgresql fingerprint " + std::to_string(version) + "\n";
}

int postgresql_fingerprint_version_of(std::string_view fingerprint) {
    for (int version : {1, 2}) {
        if (fingerprint.starts_with(postgresql_fingerprint_header(version))) {
            return version;
        }
    }
    throw std::runtime_error("not a fingerprint of a version this offstage reads (1 or 2): " +
                             std::string(fingerprint.substr(0, fingerprint.find('\n'))));
}

std::string_view postgresql_roles_queries() {
    return "SELECT 'role ' || to_json(rolname)::text || ' ' || concat_ws(',', rolsuper, "
           "rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, "
           "rolconnlimit, rolvaliduntil)\n"
           "FROM pg_catalog.pg_roles WHERE rolname !~ '^pg_';\n"
           "SELECT 'member ' || to_json(r.rolname)::text || ' of ' || to_json(g.rolname)::text "
           "|| ' ' || m.admin_option\n"
           "FROM pg_catalog.pg_auth_members m JOIN pg_catalog.pg_roles r ON r.oid = m.member\n"
           "JOIN pg_catalog.pg_roles g ON g.oid = m.roleid;\n";
}

std::string sorted_lines(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    std::sort(lines.begin(), lines.end());
    std::string sorted;
    for (const std::string& line : lines) {
        sorted += line + "\n";
    }
    return sorted;
}

std::string decode_json_string(std::string_view literal) {
    auto bad = [&]() {
        return std::runtime_error("not a JSON string: " + std::string(literal.substr(0, 200)));
    };
    if (literal.size() < 2 || literal.front() != '"' || literal.back() != '"') {
        throw bad();
    }
    std::string text;
    auto append_utf8 = [&](std::uint32_t code) {
        if (code < 0x80) {
            text += static_cast<char>(code);
        } else if (code < 0x800) {
            text += static_cast<char>(0xc0 | (code >> 6));
            text += static_cast<char>(0x80 | (code & 0x3f));
        } else if (code < 0x10000) {
            text += static_cast<char>(0xe0 | (code >> 12));
            text += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            text += static_cast<char>(0x80 | (code & 0x3f));
        } else {
            text += static_cast<char>(0xf0 | (code >> 18));
            text += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
            text += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
            text += static_cast<char>(0x80 | (code & 0x3f));
        }
    };
    std::size_t i = 1;
    auto hex4 = [&]() {
        if (i + 4 > literal.size() - 1) {
            throw bad();
        }
        std::uint32_t value = 0;
        for (int k = 0; k < 4; ++k) {
            char c = literal[i++];
            value <<= 4;
            if (c >= '0' && c <= '9') {
                value |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                value |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                value |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                throw bad();
            }
        }
        return value;
    };
    while (i < literal.size() - 1) {
        char c = literal[i++];
        if (c == '"') {
            throw bad();
        }
        if (c != '\\') {
            text += c;
            continue;
        }
        if (i >= literal.size() - 1) {
            throw bad();
        }
        char escape = literal[i++];
        switch (escape) {
        case '"':
            text += '"';
            break;
        case '\\':
            text += '\\';
            break;
        case '/':
            text += '/';
            break;
        case 'b':
            text += '\b';
            break;
        case 'f':
            text += '\f';
            break;
        case 'n':
            text += '\n';
            break;
        case 'r':
            text += '\r';
            break;
        case 't':
            text += '\t';
            break;
        case 'u': {
            std::uint32_t code = hex4();
            if (code >= 0xd800 && code < 0xdc00 && i + 1 < literal.size() - 1 &&
                literal[i] == '\\' && literal[i + 1] == 'u') {
                i += 2;
                std::uint32_t low = hex4();
                code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
            }
            append_utf8(code);
            break;
        }
        default:
            throw bad();
        }
    }
    return text;
}

} // namespace offstage::sources
