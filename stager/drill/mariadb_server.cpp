#include "stager/drill/mariadb_server.hpp"

#include "platform/child_process.hpp"

#include <atomic>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace offstage::drill {

namespace {

// mariadb-install-db and mariadbd get the server's user through --user when we are root.
std::optional<platform::ChildUser> server_user() {
    if (::geteuid() != 0) {
        return std::nullopt;
    }
    return platform::ChildUser::lookup("mysql");
}

} // namespace

MariadbServer::MariadbServer(MariadbServerOptions options)
    : options_(std::move(options)) {
    std::string pattern = (options_.parent / "offstage-mariadb-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("cannot make a directory for a throwaway MariaDB server in " +
                                 options_.parent.string() + ": " + std::strerror(errno));
    }
    directory_ = pattern;
    try {
        watchdog_.emplace(directory_);
        start();
    } catch (...) {
        stop();
        std::error_code ignored;
        fs::remove_all(directory_, ignored);
        throw;
    }
}

MariadbServer::~MariadbServer() {
    stop();
    std::error_code ignored;
    fs::remove_all(directory_, ignored);
}

sources::MariadbConnection MariadbServer::root_connection() const {
    sources::MariadbConnection connection;
    connection.client = options_.client;
    connection.dump = options_.dump;
    connection.socket = socket();
    connection.user = "root";
    return connection;
}

void MariadbServer::start() {
    std::optional<platform::ChildUser> user = server_user();
    if (user && ::chown(directory_.c_str(), user->uid, user->gid) != 0) {
        throw std::runtime_error("cannot hand " + directory_.string() +
                                 " to mysql: " + std::strerror(errno));
    }
    fs::path data = directory_ / "data";
    // A temporary directory of its own: servers sharing /tmp name their temporary tables by pid
    // and thread, and under parallel runs one server deleted another's (seen as a failed
    // mariadb-install-db and a server crashing mid-dump).
    fs::path temporary = directory_ / "tmp";
    fs::create_directory(temporary);
    if (user && ::chown(temporary.c_str(), user->uid, user->gid) != 0) {
        throw std::runtime_error("cannot hand " + temporary.string() +
                                 " to mysql: " + std::strerror(errno));
    }
    std::vector<std::string> common{"--no-defaults", "--tmpdir=" + temporary.string()};
    if (user) {
        common.emplace_back("--user=mysql");
    }
    std::vector<std::string> install{options_.install_db.string()};
    install.insert(install.end(), common.begin(), common.end());
    install.insert(install.end(),
                   {"--datadir=" + data.string(), "--auth-root-authentication-method=socket",
                    "--skip-test-db", "--skip-name-resolve"});
    platform::ChildProcess::Options quiet;
    quiet.environment = {{"LC_ALL", "C"}, {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
    quiet.timeout = options_.start_timeout;
    quiet.working_directory = directory_.string();
    {
        // Its bootstrap server would go on writing the directory after a killed drill's
        // watchdog removed it: the watchdog ends the whole group while the script runs.
        platform::ChildProcess::Options installing = quiet;
        installing.own_process_group = true;
        installing.on_start = [this](pid_t script) {
            watchdog_->watch_group(platform::ProcessHandle(script), SIGKILL);
        };
        platform::ChildProcess::output(install, installing);
    }

    std::vector<std::string> server{options_.server.string()};
    server.insert(server.end(), common.begin(), common.end());
    server.insert(server.end(),
                  {"--datadir=" + data.string(), "--socket=" + socket().string(),
                   "--pid-file=" + (directory_ / "mysqld.pid").string(),
                   "--log-error=" + (directory_ / "error.log").string(), "--skip-networking",
                   "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=64M",
                   "--innodb-log-file-size=48M", "--innodb-flush-log-at-trx-commit=2",
                   "--max-allowed-packet=1G", "--character-set-server=" + options_.character_set,
                   std::string("--event-scheduler=") + (options_.event_scheduler ? "ON" : "OFF")});
    running_ = true;
    // A throwaway's data is worth nothing: the watchdog SIGKILLs it at once.
    server_.start(server, quiet, *watchdog_, SIGKILL, std::chrono::milliseconds(0));
    sources::MariadbClient client = root_client();
    auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
    while (true) {
        try {
            client.query("SELECT 1", std::chrono::seconds(10));
            break;
        } catch (const std::exception& error) {
            if (server_.ended() || std::chrono::steady_clock::now() > deadline) {
                std::string ended = server_.error();
                throw std::runtime_error("the throwaway MariaDB server in " + directory_.string() +
                                         " did not start: " + error.what() +
                                         (ended.empty() ? "" : "; " + ended) +
                                         "; error log: " + error_log_tail());
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

void MariadbServer::stop() {
    if (!running_) {
        return;
    }
    running_ = false;
    server_.stop(SIGTERM, std::chrono::seconds(60));
}

std::string MariadbServer::error_log_tail() const {
    std::ifstream in(directory_ / "error.log");
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    if (all.size() > 4000) {
        all = all.substr(all.size() - 4000);
    }
    return all.empty() ? "(empty)" : all;
}

} // namespace offstage::drill
