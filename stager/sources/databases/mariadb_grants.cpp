#include "stager/sources/databases/mariadb_grants.hpp"

#include <stdexcept>
#include <vector>

namespace offstage::sources {

namespace {

struct Account {
    std::string user;
    std::string host;
    bool role = false;
    std::string quoted() const {
        return role ? quote_identifier(user)
                    : quote_identifier(user) + "@" + quote_identifier(host);
    }
};

// The role a restore holds while it makes roles, so that the account loading the file is not
// left holding every role WITH ADMIN OPTION (mariadb-dump --system=users does the same).
constexpr std::string_view import_role = "offstage_import_role";

} // namespace

bool dump_tool_lacks_system_option(std::string_view errors) {
    return errors.find("unknown variable 'system") != std::string_view::npos ||
           errors.find("unknown option '--system") != std::string_view::npos;
}

std::string unescape_batch_field(std::string_view field) {
    std::string text;
    text.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] != '\\' || i + 1 == field.size()) {
            text.push_back(field[i]);
            continue;
        }
        switch (field[++i]) {
        case 't':
            text.push_back('\t');
            break;
        case 'n':
            text.push_back('\n');
            break;
        case '0':
            text.push_back('\0');
            break;
        default: // "\\", and anything the client did not escape itself
            text.push_back(field[i]);
            break;
        }
    }
    return text;
}

std::string mariadb_grants_sql(const MariadbClient& client, std::chrono::milliseconds timeout) {
    std::vector<Account> accounts;
    std::string version;
    for (const MariadbRow& row :
         client.query("SELECT 'version', HEX(VERSION()), '-', '-';\n"
                      "SELECT 'account', HEX(User), HEX(Host), is_role FROM mysql.user "
                      "ORDER BY is_role DESC, User, Host;\n",
                      timeout)) {
        if (row.size() != 4) {
            throw std::runtime_error("unexpected row from mysql.user");
        }
        if (row[0] == "version") {
            version = from_hex(row[1]);
        } else if (row[0] == "account") {
            accounts.push_back({from_hex(row[1]), from_hex(row[2]), row[3] == "Y"});
        }
    }

    // One session asks for every statement; a two-field row marks where an account's answers
    // begin (SHOW output has one field, its tabs escaped).
    std::string queries;
    for (std::size_t i = 0; i < accounts.size(); ++i) {
        queries += "SELECT 'account', " + std::to_string(i) + ";\n";
        if (!accounts[i].role) {
            queries += "SHOW CREATE USER " + accounts[i].quoted() + ";\n";
            queries += "SELECT 'grants', " + std::to_string(i) + ";\n";
        }
        queries += "SHOW GRANTS FOR " + accounts[i].quoted() + ";\n";
    }
    std::vector<std::string> create(accounts.size());
    std::vector<std::vector<std::string>> grants(accounts.size());
    std::size_t current = 0;
    bool in_grants = false;
    for (const MariadbRow& row : client.query(queries, timeout)) {
        if (row.size() == 2) {
            current = std::stoul(row[1]);
            in_grants = row[0] == "grants" || accounts.at(current).role;
            continue;
        }
        if (row.size() != 1 || current >= accounts.size()) {
            throw std::runtime_error("unexpected row from SHOW CREATE USER or SHOW GRANTS");
        }
        std::string statement = unescape_batch_field(row[0]);
        if (in_grants) {
            grants[current].push_back(std::move(statement));
        } else {
            create[current] = std::move(statement);
        }
    }

    std::string sql = "-- MariaDB accounts and grants, written by offstage from SHOW CREATE USER "
                      "and SHOW GRANTS\n-- (the dump tool has no --system=users)\n-- Server "
                      "version\t" +
                      version + "\n\nSET NAMES utf8mb4;\n";
    bool roles = false;
    for (const Account& account : accounts) {
        roles = roles || (account.role && account.user != "PUBLIC");
    }
    if (roles) {
        sql += "CREATE ROLE IF NOT EXISTS " + std::string(import_role) + ";\nGRANT " +
               std::string(import_role) + " TO CURRENT_USER();\nSET ROLE " +
               std::string(import_role) + ";\n";
    }
    for (const Account& account : accounts) {
        // PUBLIC (MariaDB 10.11) exists on every server: only its grants are restored.
        if (account.role && account.user != "PUBLIC") {
            sql += "CREATE OR REPLACE ROLE " + account.quoted() + " WITH ADMIN " +
                   std::string(import_role) + ";\n";
        }
    }
    for (std::size_t i = 0; i < accounts.size(); ++i) {
        if (accounts[i].role) {
            continue;
        }
        const std::string& statement = create[i];
        if (!statement.starts_with("CREATE USER ")) {
            throw std::runtime_error("SHOW CREATE USER " + accounts[i].quoted() +
                                     " did not answer with a CREATE USER statement");
        }
        sql += "CREATE OR REPLACE USER " + statement.substr(12) + ";\n";
    }
    for (const std::vector<std::string>& statements : grants) {
        for (const std::string& statement : statements) {
            sql += statement + ";\n";
        }
    }
    if (roles) {
        sql += "SET ROLE NONE;\nDROP ROLE " + std::string(import_role) + ";\n";
    }
    return sql + "\n-- Dump completed\n";
}

} // namespace offstage::sources
