// A throwaway MariaDB server: a fresh data directory made by mariadb-install-db in a new temp
// directory, mariadbd on a unix socket only (--skip-networking: no TCP port at all), the event
// scheduler off (a restored event must not change the data it is compared against). Run as
// root, the server drops to the `mysql` user, which owns the directory (mode 0700); otherwise it
// runs as the caller. Destroyed, it stops the server (SIGTERM, then SIGKILL) and removes the
// directory, also when the start failed half-way; should the starting process die without
// stopping it (killed, crashed), its ScratchWatchdog kills the server and removes the directory.
// The drill restores into it; the tests start their "original" servers with it too.
#pragma once

#include "stager/drill/scratch_watchdog.hpp"
#include "stager/drill/server_process.hpp"
#include "stager/sources/databases/mariadb_client.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace offstage::drill {

struct MariadbServerOptions {
    std::filesystem::path install_db = "/usr/bin/mariadb-install-db";
    std::filesystem::path server = "/usr/sbin/mariadbd";
    std::filesystem::path client = "/usr/bin/mariadb";
    std::filesystem::path dump = "/usr/bin/mariadb-dump";
    // Where the server's own temp directory is made (it must be reachable by `mysql`).
    std::filesystem::path parent = std::filesystem::temp_directory_path();
    std::chrono::seconds start_timeout{120};
    bool event_scheduler = false;
    // The server's default character set (--character-set-server): utf8mb4 for the drill; a
    // test starts a latin1 server, as many older installations are.
    std::string character_set = "utf8mb4";
};

class MariadbServer {
public:
    // Installs and starts; throws std::runtime_error naming the step and the server's error log.
    explicit MariadbServer(MariadbServerOptions options = {});
    ~MariadbServer();
    MariadbServer(const MariadbServer&) = delete;
    MariadbServer& operator=(const MariadbServer&) = delete;

    const std::filesystem::path& directory() const { return directory_; }
    std::filesystem::path socket() const { return directory_ / "mysqld.sock"; }
    // A connection as the server's root over its socket (unix-socket authentication).
    sources::MariadbConnection root_connection() const;
    sources::MariadbClient root_client() const { return sources::MariadbClient(root_connection()); }
    // The server's pid once started (0 before, and after stop()); tests kill it.
    pid_t pid() const { return server_.pid(); }
    // Stops the server now (the destructor then only removes the directory).
    void stop();

    // The last lines of the server's error log, for a failure's message.
    std::string error_log_tail() const;

private:
    void start();
    MariadbServerOptions options_;
    std::filesystem::path directory_;
    bool running_ = false;
    // Ends the server and removes the directory should this process die first.
    std::optional<ScratchWatchdog> watchdog_;
    ServerProcess server_; // after watchdog_, which it tells of the server
};

} // namespace offstage::drill
