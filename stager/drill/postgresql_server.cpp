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
        platform::ChildProcess::output({(bin_dir_ / "initdb").string(), "-D", data.string(), "-U",
                                        "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8",
                                        "--no-sync", "--no-instructions"},
                                       run);
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
        try {
            running_ = true;
            platform::ChildProcess::output({(bin_dir_ / "pg_ctl").string(), "-D", data.string(),
                                            "-l", (directory_ / "server.log").string(), "-w", "-t",
                                            std::to_string(options_.timeout.count()), "-s",
                                            "start"},
                                           run);
        } catch (const platform::ChildProcessError& error) {
            throw std::runtime_error(std::string(error.what()) + "; server log: " + log_tail());
        }
        // SIGQUIT: the postmaster's immediate shutdown, which ends its backends too.
        watchdog_->watch(pid(), SIGQUIT, std::chrono::seconds(5));
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

pid_t PostgresqlServer::pid() const {
    std::ifstream in(directory_ / "data/postmaster.pid");
    long pid = 0;
    in >> pid;
    return static_cast<pid_t>(pid);
}

std::string PostgresqlServer::psql(const std::string& database, const std::string& sql) const {
    return client_.query(database, sql);
}

void PostgresqlServer::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    pid_t postmaster = pid();
    platform::ChildProcess::Options run = client_.options();
    run.timeout = options_.timeout;
    try {
        platform::ChildProcess::output({(bin_dir_ / "pg_ctl").string(), "-D",
                                        (directory_ / "data").string(), "-m", "fast", "-w", "-t",
                                        std::to_string(options_.timeout.count()), "-s", "stop"},
                                       run);
    } catch (const std::exception&) {
        // Not running any more (killed), or it would not stop: make sure below.
    }
    if (postmaster > 0 && ::kill(postmaster, 0) == 0) {
        ::kill(postmaster, SIGKILL);
        for (int i = 0; i < 500 && ::kill(postmaster, 0) == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
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
