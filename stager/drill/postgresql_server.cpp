#include "stager/drill/postgresql_server.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

namespace offstage::drill {

namespace fs = std::filesystem;

namespace {

void write_text(const fs::path& path, const std::string& text, bool append) {
    std::ofstream out(path, append ? std::ios::app : std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        throw std::runtime_error("cannot write " + path.string());
    }
}

// A postgresql.conf string value.
std::string conf_quoted(const std::string& value) {
    std::string text = "'";
    for (char c : value) {
        text += c;
        if (c == '\'') {
            text += '\'';
        }
    }
    return text + "'";
}

} // namespace

PostgresqlServer::PostgresqlServer(PostgresqlServerOptions options)
    : options_(std::move(options)) {
    bin_dir_ = options_.bin_dir.empty() ? sources::newest_postgresql_bin_dir() : options_.bin_dir;
    client_ = sources::PostgresqlClient::in(bin_dir_);
    if (::geteuid() == 0) {
        client_.os_user = platform::ChildUser::lookup(options_.os_user);
    }
    std::string pattern = (options_.parent / "offstage-pg-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        platform::throw_errno("mkdtemp " + pattern);
    }
    directory_ = pattern;
    try {
        watchdog_.emplace(directory_);
        if (client_.os_user &&
            ::chown(directory_.c_str(), client_.os_user->uid, client_.os_user->gid) != 0) {
            platform::throw_errno("chown " + directory_.string());
        }
        client_.socket_dir = directory_;
        client_.timeout = options_.timeout;
        platform::ChildProcess::Options run = client_.options();
        run.timeout = options_.timeout;
        const fs::path data = directory_ / "data";
        // initdb's own postgres processes are in its group: a killed starter's watchdog ends
        // them all while initdb runs.
        platform::ChildProcess::Options initialising = run;
        initialising.own_process_group = true;
        initialising.on_start = [this](pid_t initdb) {
            watchdog_->watch_group(platform::ProcessHandle(initdb), SIGKILL);
        };
        platform::ChildProcess::output({(bin_dir_ / "initdb").string(), "-D", data.string(), "-U",
                                        "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
                                        "--no-sync", "--no-instructions"},
                                       initialising);
        std::string hba;
        for (const std::string& line : options_.hba) {
            hba += line + "\n";
        }
        write_text(data / "pg_hba.conf", hba, false);
        // A throwaway: no TCP, no durability, nothing shared with the host's clusters.
        write_text(data / "postgresql.conf",
                   "\n# offstage: a throwaway server\nlisten_addresses = ''\n"
                   "unix_socket_directories = " +
                       conf_quoted(directory_.string()) +
                       "\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                       "max_wal_senders = 0\nwal_level = minimal\n",
                   true);
        if (client_.os_user) {
            if (::chown((data / "pg_hba.conf").c_str(), client_.os_user->uid,
                        client_.os_user->gid) != 0) {
                platform::throw_errno("chown " + (data / "pg_hba.conf").string());
            }
        }
        start(data, run);
    } catch (...) {
        remove();
        throw;
    }
}

PostgresqlServer::~PostgresqlServer() {
    remove();
}

std::string PostgresqlServer::log_tail() const {
    std::ifstream in(directory_ / "server.log");
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    std::string tail;
    for (std::size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i) {
        tail += (tail.empty() ? "" : " | ") + lines[i];
    }
    return tail.empty() ? "(empty)" : tail;
}

void PostgresqlServer::start(const fs::path& data, const platform::ChildProcess::Options& run) {
    running_ = true;
    // The postmaster as our child (postgres itself, not pg_ctl's daemon), its log by its own
    // logging collector. SIGQUIT from the watchdog: the immediate shutdown, which ends the
    // backends too.
    postmaster_.start({(bin_dir_ / "postgres").string(), "-D", data.string(), "-c",
                       "logging_collector=on", "-c", "log_directory=" + directory_.string(), "-c",
                       "log_filename=server.log"},
                      run, *watchdog_, SIGQUIT, std::chrono::seconds(5));
    // Ready when pg_isready says it accepts connections (whatever pg_hba.conf then says: a
    // test server may refuse every login).
    platform::ChildProcess::Options probe = run;
    probe.timeout = std::chrono::seconds(10);
    const auto deadline = std::chrono::steady_clock::now() + options_.timeout;
    while (true) {
        try {
            platform::ChildProcess::output({(bin_dir_ / "pg_isready").string(), "-q", "-h",
                                            directory_.string(), "-d", "postgres"},
                                           probe);
            return;
        } catch (const std::exception& error) {
            if (postmaster_.ended() || std::chrono::steady_clock::now() > deadline) {
                std::string ended = postmaster_.error();
                throw std::runtime_error("the throwaway PostgreSQL server in " + data.string() +
                                         " did not start: " + error.what() +
                                         (ended.empty() ? "" : "; " + ended) +
                                         "; server log: " + log_tail());
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

std::string PostgresqlServer::psql(const std::string& database, const std::string& sql) const {
    return client_.query(database, sql);
}

void PostgresqlServer::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    // SIGINT: the fast shutdown; SIGKILL past the timeout.
    postmaster_.stop(SIGINT, options_.timeout);
}

void PostgresqlServer::remove() {
    try {
        stop();
    } catch (...) {
        // removal below goes on whatever stop() met
    }
    std::error_code ignored;
    if (!directory_.empty()) {
        fs::remove_all(directory_, ignored);
    }
}

} // namespace offstage::drill
