// How offstage talks to a MariaDB server: the stock `mariadb` client and `mariadb-dump`, run as
// children through platform::ChildProcess (absolute path, empty environment, timeout). A
// password never appears on a command line, in a child's environment or in a log: credentials
// come from a defaults file the admin keeps (mode 0600, e.g. /etc/mysql/debian.cnf, read by the
// client itself through --defaults-extra-file) or from the unix-socket identity of the OS user
// offstage runs as. Every name the server returns is asked for in HEX(), so no byte of a
// hostile database or table name is ever parsed out of the client's batch escapes.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::sources {

// Where and as whom to connect, and which binaries to run.
struct MariadbConnection {
    std::filesystem::path client = "/usr/bin/mariadb";
    std::filesystem::path dump = "/usr/bin/mariadb-dump";
    // Read by the client as --defaults-extra-file (its [client] group: user, password, socket).
    // Empty: --no-defaults, and socket + user below (unix-socket authentication).
    std::filesystem::path defaults_file;
    std::filesystem::path socket; // empty: the defaults file's, else the client's default
    std::string user;             // empty: the defaults file's, else the OS user's name
    std::chrono::seconds connect_timeout{10};

    // The first arguments of `program` (client or dump): the option file, then the connection.
    // Never a password: that lives only in the defaults file.
    std::vector<std::string> argv(const std::filesystem::path& program) const;
};

// One row of a batch-mode result: the fields as the client printed them (tab-separated).
using MariadbRow = std::vector<std::string>;

class MariadbClient {
public:
    explicit MariadbClient(MariadbConnection connection)
        : connection_(std::move(connection)) {}
    const MariadbConnection& connection() const { return connection_; }

    // Runs `sql` (one or more statements) in one session and returns every result row.
    // Throws platform::ChildProcessError naming the command and the client's first error line
    // (wrong password, server down) or the timeout.
    std::vector<MariadbRow> query(const std::string& sql, std::chrono::milliseconds timeout) const;

    // Like query(), but each row is handed to `on_row` as soon as the client prints it (the
    // client flushes after each statement: -n), for sessions that hold a lock while the caller
    // acts. `extra_accepted`: exit statuses that are not errors (a session ended by KILL).
    int stream(const std::string& sql, const std::function<void(const MariadbRow&)>& on_row,
               std::chrono::milliseconds timeout, std::string* error_output = nullptr) const;

private:
    MariadbConnection connection_;
};

// `name` as a MariaDB identifier: `back-quoted`, inner back quotes doubled.
std::string quote_identifier(std::string_view name);
// `text` as a string literal that holds its exact bytes: CONVERT(X'...' USING utf8mb4).
std::string utf8_literal(std::string_view text);
// The bytes of a HEX() field; throws std::runtime_error when it is not hex.
std::string from_hex(std::string_view hex);

} // namespace offstage::sources
