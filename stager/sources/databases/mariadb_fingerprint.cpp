#include "stager/sources/databases/mariadb_fingerprint.hpp"

#include <algorithm>
#include <map>
#include <sstream>
#include <stdexcept>

namespace offstage::sources {

namespace {

constexpr std::string_view header_prefix = "offstage mariadb fingerprint ";

std::string to_hex(std::string_view bytes) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : bytes) {
        auto byte = static_cast<unsigned char>(c);
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0xf]);
    }
    return out;
}

std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
        out.push_back(word);
    }
    return out;
}

} // namespace

std::vector<MariadbTable> mariadb_tables(const MariadbClient& client, const std::string& database,
                                         std::chrono::milliseconds timeout) {
    std::string schema = utf8_literal(database);
    // Engines with TRANSACTIONS = YES keep MVCC snapshots; every other (MyISAM, Aria, MEMORY,
    // CSV...) is read as it is at the moment, whatever the transaction.
    std::vector<MariadbRow> rows = client.query(
        "SELECT 'table', HEX(t.TABLE_NAME), t.TABLE_TYPE = 'VIEW', IFNULL(t.ENGINE, '-'), "
        "IFNULL(e.TRANSACTIONS, 'NO') FROM information_schema.TABLES t LEFT JOIN "
        "information_schema.ENGINES e ON e.ENGINE = t.ENGINE WHERE t.TABLE_SCHEMA = " +
            schema +
            " ORDER BY t.TABLE_NAME;\n"
            "SELECT 'column', HEX(TABLE_NAME), HEX(COLUMN_NAME) FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = " +
            schema + " ORDER BY TABLE_NAME, ORDINAL_POSITION;\n",
        timeout);
    std::vector<MariadbTable> tables;
    std::map<std::string, std::size_t> index;
    for (const MariadbRow& row : rows) {
        if (row.size() == 5 && row[0] == "table") {
            MariadbTable table;
            table.name = from_hex(row[1]);
            table.view = row[2] == "1";
            table.engine = row[3];
            table.transactional = row[4] == "YES";
            index[table.name] = tables.size();
            tables.push_back(std::move(table));
        } else if (row.size() == 3 && row[0] == "column") {
            auto found = index.find(from_hex(row[1]));
            if (found != index.end() && !tables[found->second].view) {
                tables[found->second].columns.push_back(from_hex(row[2]));
            }
        } else {
            throw std::runtime_error("unexpected row from the MariaDB client listing " + database);
        }
    }
    return tables;
}

std::string mariadb_table_fingerprint_sql(const std::string& database, const MariadbTable& table,
                                          int version) {
    std::string row_text = "CONCAT_WS(','";
    for (const std::string& column : table.columns) {
        row_text += ", CAST(QUOTE(" + quote_identifier(column) + ") AS BINARY)";
    }
    row_text += ")";
    std::string sums = "COALESCE(SUM(CAST(CONV(LEFT(h, 16), 16, 10) AS UNSIGNED)), 0)";
    if (version == 1) {
        sums += ", COALESCE(SUM(CAST(CONV(RIGHT(h, 16), 16, 10) AS UNSIGNED)), 0)";
    }
    return "SELECT 'rows', COUNT(*), " + sums + " FROM (SELECT MD5(" + row_text + ") AS h FROM " +
           quote_identifier(database) + "." + quote_identifier(table.name) +
           ") AS offstage_rows;\n";
}

std::string mariadb_objects_sql(const std::string& database) {
    std::string schema = utf8_literal(database);
    return "SELECT 'routine', HEX(CONCAT(r.ROUTINE_TYPE, ' ', r.ROUTINE_NAME)), "
           "MD5(CONCAT_WS('|', r.ROUTINE_DEFINITION, r.DTD_IDENTIFIER, r.SQL_MODE, "
           "r.SECURITY_TYPE, r.DEFINER, r.IS_DETERMINISTIC, r.SQL_DATA_ACCESS, (SELECT "
           "GROUP_CONCAT(CONCAT_WS(' ', p.PARAMETER_MODE, p.PARAMETER_NAME, p.DTD_IDENTIFIER) "
           "ORDER BY p.ORDINAL_POSITION SEPARATOR ',') FROM information_schema.PARAMETERS p "
           "WHERE p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.SPECIFIC_NAME "
           "AND p.ROUTINE_TYPE = r.ROUTINE_TYPE))) FROM information_schema.ROUTINES r WHERE "
           "r.ROUTINE_SCHEMA = " +
           schema +
           ";\n"
           "SELECT 'trigger', HEX(TRIGGER_NAME), MD5(CONCAT_WS('|', EVENT_OBJECT_TABLE, "
           "ACTION_TIMING, EVENT_MANIPULATION, ACTION_ORDER, ACTION_STATEMENT, SQL_MODE, DEFINER)) "
           "FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = " +
           schema +
           ";\n"
           "SELECT 'event', HEX(EVENT_NAME), MD5(CONCAT_WS('|', EVENT_DEFINITION, EVENT_TYPE, "
           "EXECUTE_AT, INTERVAL_VALUE, INTERVAL_FIELD, ON_COMPLETION, SQL_MODE, DEFINER)) FROM "
           "information_schema.EVENTS WHERE EVENT_SCHEMA = " +
           schema +
           ";\n"
           "SELECT 'view', HEX(TABLE_NAME), MD5(CONCAT_WS('|', VIEW_DEFINITION, CHECK_OPTION, "
           "SECURITY_TYPE, DEFINER, ALGORITHM)) FROM information_schema.VIEWS WHERE "
           "TABLE_SCHEMA = " +
           schema + ";\n";
}

std::string mariadb_users_sql() {
    // Accounts with their authentication, and every grant: global, per schema, table, column,
    // routine, and role membership. Timestamps (password_last_changed) are left out: a restore
    // sets them anew.
    return "SELECT 'account', HEX(CONCAT(QUOTE(User), '@', QUOTE(Host))), MD5(CONCAT_WS('|', "
           "plugin, authentication_string, is_role, default_role, password_expired, "
           "max_questions, max_updates, max_connections, max_user_connections, "
           "max_statement_time)) "
           "FROM mysql.user;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', GRANTEE, '*', PRIVILEGE_TYPE, IS_GRANTABLE)), '-' "
           "FROM information_schema.USER_PRIVILEGES;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', GRANTEE, TABLE_SCHEMA, PRIVILEGE_TYPE, "
           "IS_GRANTABLE)), '-' FROM information_schema.SCHEMA_PRIVILEGES;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', GRANTEE, TABLE_SCHEMA, TABLE_NAME, PRIVILEGE_TYPE, "
           "IS_GRANTABLE)), '-' FROM information_schema.TABLE_PRIVILEGES;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', GRANTEE, TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, "
           "PRIVILEGE_TYPE, IS_GRANTABLE)), '-' FROM information_schema.COLUMN_PRIVILEGES;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', User, Host, Db, Routine_name, Routine_type, "
           "Proc_priv)), '-' FROM mysql.procs_priv;\n"
           "SELECT 'grant', HEX(CONCAT_WS('|', 'role', User, Host, Role, Admin_option)), '-' "
           "FROM mysql.roles_mapping;\n";
}

void read_table_fingerprint(const MariadbRow& row, MariadbTableFingerprint& table) {
    if ((row.size() != 3 && row.size() != 4) || row[0] != "rows") {
        throw std::runtime_error("unexpected fingerprint row for table " + table.name);
    }
    table.rows = std::stoull(row[1]);
    table.checksum = row.size() == 3 ? row[2] : row[2] + ":" + row[3];
}

std::vector<std::string> read_object_lines(const std::vector<MariadbRow>& rows) {
    std::vector<std::string> lines;
    for (const MariadbRow& row : rows) {
        if (row.size() != 3 || row[1] == "NULL") {
            throw std::runtime_error("unexpected object row from the MariaDB client");
        }
        lines.push_back(row[0] + " " + row[1] + " " + row[2]);
    }
    std::sort(lines.begin(), lines.end());
    return lines;
}

std::string MariadbFingerprint::to_text() const {
    std::string text = std::string(header_prefix) + std::to_string(version) + "\ndatabase " +
                       to_hex(database) + "\n";
    for (const MariadbTableFingerprint& table : tables) {
        text += "table " + to_hex(table.name) + " " + table.engine + " " +
                std::to_string(table.rows) + " " + table.checksum + " " +
                (table.consistent ? "consistent" : "unlocked") + "\n";
    }
    for (const std::string& name : skipped) {
        text += "skipped " + to_hex(name) + "\n";
    }
    for (const std::string& object : objects) {
        text += "object " + object + "\n";
    }
    return text;
}

MariadbFingerprint MariadbFingerprint::parse(const std::string& text) {
    MariadbFingerprint fingerprint;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    auto bad = [&]() {
        return std::runtime_error("fingerprint line " + std::to_string(number) +
                                  ": not of the format '" + std::string(header_prefix) + "1' or '" +
                                  std::string(header_prefix) + "2'");
    };
    while (std::getline(in, line)) {
        ++number;
        if (number == 1) {
            if (line == std::string(header_prefix) + "1") {
                fingerprint.version = 1;
            } else if (line == std::string(header_prefix) + "2") {
                fingerprint.version = 2;
            } else {
                throw bad();
            }
            continue;
        }
        std::vector<std::string> fields = words(line);
        if (fields.size() == 2 && fields[0] == "database") {
            fingerprint.database = from_hex(fields[1]);
        } else if (fields.size() == 6 && fields[0] == "table") {
            MariadbTableFingerprint table;
            table.name = from_hex(fields[1]);
            table.engine = fields[2];
            table.rows = std::stoull(fields[3]);
            table.checksum = fields[4];
            table.consistent = fields[5] == "consistent";
            fingerprint.tables.push_back(std::move(table));
        } else if (fields.size() == 2 && fields[0] == "skipped") {
            fingerprint.skipped.push_back(from_hex(fields[1]));
        } else if (fields.size() == 4 && fields[0] == "object") {
            fingerprint.objects.push_back(fields[1] + " " + fields[2] + " " + fields[3]);
        } else {
            throw bad();
        }
    }
    if (number == 0) {
        throw bad();
    }
    return fingerprint;
}

MariadbFingerprint mariadb_fingerprint_now(const MariadbClient& client, const std::string& database,
                                           std::chrono::milliseconds timeout, int version) {
    MariadbFingerprint fingerprint;
    fingerprint.version = version;
    fingerprint.database = database;
    std::vector<MariadbTable> tables = mariadb_tables(client, database, timeout);
    std::string sql = "START TRANSACTION WITH CONSISTENT SNAPSHOT;\n";
    for (const MariadbTable& table : tables) {
        if (!table.view) {
            sql += mariadb_table_fingerprint_sql(database, table, version);
        }
    }
    sql += mariadb_objects_sql(database) + "COMMIT;\n";
    std::vector<MariadbRow> rows = client.query(sql, timeout);
    std::size_t next = 0;
    for (const MariadbTable& table : tables) {
        if (table.view) {
            continue;
        }
        MariadbTableFingerprint entry{table.name, table.engine, 0, "", true};
        if (next >= rows.size()) {
            throw std::runtime_error("no fingerprint row for table " + table.name);
        }
        read_table_fingerprint(rows[next++], entry);
        fingerprint.tables.push_back(std::move(entry));
    }
    fingerprint.objects = read_object_lines(
        std::vector<MariadbRow>(rows.begin() + static_cast<long>(next), rows.end()));
    return fingerprint;
}

std::vector<std::string> mariadb_users_now(const MariadbClient& client,
                                           std::chrono::milliseconds timeout) {
    return read_object_lines(client.query(mariadb_users_sql(), timeout));
}

} // namespace offstage::sources
