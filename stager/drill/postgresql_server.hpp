// A throwaway PostgreSQL server: initdb and postgres from one version's bin directory, in a fresh
// directory of its own (mode 0700, owned by the OS user the server runs as), listening on a unix
// socket in that directory only (listen_addresses = '': no TCP at all). The postmaster runs as our
// child (its log in the directory's server.log). Stopped (SIGINT, the fast shutdown; SIGKILL past
// the timeout) and removed with everything in it when destroyed, whatever happened; should
// the starting process die without stopping it, its ScratchWatchdog does both. The
// drill restores dumps into one; the tests start their "original" servers with it.
#pragma once

#include "platform/child_process.hpp"
#include "stager/drill/scratch_watchdog.hpp"
#include "stager/drill/server_process.hpp"
#include "stager/sources/databases/postgresql_client.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace offstage::drill {

struct PostgresqlServerOptions {
    // Where the server's directory is made; the OS user must be able to enter it.
    std::filesystem::path parent{"/tmp"};
    // The server and every client run as this user when offstage runs as root (initdb refuses
    // root); otherwise as ourselves.
    std::string os_user = "postgres";
    std::filesystem::path bin_dir; // empty: newest_postgresql_bin_dir()
    // pg_hba.conf: the socket's owner (and root) alone can reach it, so trust is safe here.
    std::vector<std::string> hba = {"local all all trust"};
    std::chrono::seconds timeout{60}; // initdb, start, stop each
};

class PostgresqlServer {
public:
    // Creates the cluster and starts it; throws std::runtime_error (or ChildProcessError) naming
    // the step and the server log's last lines, having removed what it made.
    explicit PostgresqlServer(PostgresqlServerOptions options = {});
    PostgresqlServer(const PostgresqlServer&) = delete;
    PostgresqlServer& operator=(const PostgresqlServer&) = delete;
    ~PostgresqlServer();

    // A client of this server (its socket, its programs, its OS user).
    const sources::PostgresqlClient& client() const { return client_; }
    const std::filesystem::path& directory() const { return directory_; }
    // The postmaster's pid once started (0 before, and after stop()); tests kill it.
    pid_t pid() const { return postmaster_.pid(); }
    // Runs `sql` with psql in `database` as the superuser "postgres"; returns its output.
    std::string psql(const std::string& database, const std::string& sql) const;
    // Stops the server (idempotent); the directory stays until destruction.
    void stop();

private:
    void remove();
    void start(const std::filesystem::path& data, const platform::ChildProcess::Options& run);
    std::string log_tail() const;

    PostgresqlServerOptions options_;
    std::filesystem::path directory_;
    std::filesystem::path bin_dir_;
    sources::PostgresqlClient client_;
    bool running_ = false;
    // Ends the server and removes the directory should this process die first.
    std::optional<ScratchWatchdog> watchdog_;
    ServerProcess postmaster_; // after watchdog_, which it tells of the postmaster
};

} // namespace offstage::drill
