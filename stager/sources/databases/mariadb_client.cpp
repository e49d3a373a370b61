#include "stager/sources/databases/mariadb_client.hpp"

#include "platform/child_process.hpp"
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"

#include <stdexcept>

namespace offstage::sources {

std::vector<std::string> MariadbConnection::argv(const std::filesystem::path& program) const {
    std::vector<std::string> argv{program.string()};
    // The option file must come first: the client reads no option file named later.
    if (defaults_file.empty()) {
        argv.emplace_back("--no-defaults");
    } else {
        argv.push_back("--defaults-extra-file=" + defaults_file.string());
    }
    if (!socket.empty()) {
        argv.push_back("--socket=" + socket.string());
        argv.emplace_back("--protocol=socket"); // a socket only, never TCP
    }
    if (!user.empty()) {
        argv.push_back("--user=" + user);
    }
    return argv;
}

namespace {

std::vector<std::string> client_argv(const MariadbConnection& connection, bool unbuffered) {
    std::vector<std::string> argv = connection.argv(connection.client);
    argv.push_back("--connect-timeout=" + std::to_string(connection.connect_timeout.count()));
    // utf8mb4 for the session: the fingerprint's row texts are built in it, on the host and in
    // the drill alike.
    argv.emplace_back("--default-character-set=utf8mb4");
    argv.emplace_back("--batch");
    argv.emplace_back("--skip-column-names");
    argv.emplace_back("--max-allowed-packet=1G");
    if (unbuffered) {
        argv.emplace_back("--unbuffered");
    }
    return argv;
}

// Splits the client's batch output into rows; keeps a partial last line in `pending`.
void split_rows(std::string& pending, std::string_view chunk,
                const std::function<void(const MariadbRow&)>& on_row) {
    pending.append(chunk);
    std::size_t start = 0;
    while (true) {
        std::size_t end = pending.find('\n', start);
        if (end == std::string::npos) {
            break;
        }
        MariadbRow row;
        std::string_view line(pending.data() + start, end - start);
        std::size_t field = 0;
        while (true) {
            std::size_t tab = line.find('\t', field);
            row.emplace_back(line.substr(field, tab == std::string_view::npos ? tab : tab - field));
            if (tab == std::string_view::npos) {
                break;
            }
            field = tab + 1;
        }
        on_row(row);
        start = end + 1;
    }
    pending.erase(0, start);
}

} // namespace

std::vector<MariadbRow> MariadbClient::query(const std::string& sql,
                                             std::chrono::milliseconds timeout) const {
    std::vector<MariadbRow> rows;
    stream(
        sql, [&](const MariadbRow& row) { rows.push_back(row); }, timeout);
    return rows;
}

int MariadbClient::stream(const std::string& sql,
                          const std::function<void(const MariadbRow&)>& on_row,
                          std::chrono::milliseconds timeout, std::string* error_output) const {
    platform::ChildProcess::Options options;
    options.environment = {{"LC_ALL", "C"}};
    options.input = sql;
    options.timeout = timeout;
    std::string errors;
    options.error_output = &errors;
    std::string pending;
    int status = 0;
    try {
        status = platform::ChildProcess::run(
            client_argv(connection_, true),
            [&](std::string_view chunk) { split_rows(pending, chunk, on_row); }, options);
    } catch (const platform::ChildProcessError& error) {
        if (error_output != nullptr) {
            *error_output = errors;
        }
        // The client frames a failed statement with dashes; its "ERROR ..." line says why.
        std::size_t line = errors.find("ERROR ");
        if (line == std::string::npos || error.timed_out()) {
            throw;
        }
        std::string reason = errors.substr(line, errors.find('\n', line) - line);
        throw platform::ChildProcessError(
            error.command(), error.exit_status(),
            error.command() + ": " + platform::printable_name(reason, 300), false);
    }
    if (error_output != nullptr) {
        *error_output = errors;
    }
    if (!pending.empty()) {
        split_rows(pending, "\n", on_row);
    }
    return status;
}

std::string quote_identifier(std::string_view name) {
    std::string quoted = "`";
    for (char c : name) {
        quoted.push_back(c);
        if (c == '`') {
            quoted.push_back('`');
        }
    }
    quoted.push_back('`');
    return quoted;
}

std::string utf8_literal(std::string_view text) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string literal = "CONVERT(X'";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        literal.push_back(hex[byte >> 4]);
        literal.push_back(hex[byte & 0xf]);
    }
    literal += "' USING utf8mb4)";
    return literal;
}

std::string from_hex(std::string_view hex) {
    auto digit = [&](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        throw std::runtime_error("the MariaDB client printed '" + std::string(hex.substr(0, 40)) +
                                 "' where a HEX() value was asked for");
    };
    if (hex.size() % 2 != 0) {
        digit('?');
    }
    std::string bytes;
    bytes.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        bytes.push_back(static_cast<char>(digit(hex[i]) * 16 + digit(hex[i + 1])));
    }
    return bytes;
}

} // namespace offstage::sources
