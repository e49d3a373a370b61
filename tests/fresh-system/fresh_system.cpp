#include "tests/fresh-system/fresh_system.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <signal.h>
#include <sstream>
#include <unistd.h>

namespace offstage::test::fresh {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> result;
    for (std::string word; in >> word;) {
        result.push_back(word);
    }
    return result;
}

std::string today() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
    return text;
}

// SIGKILLs every process whose root directory is `root` (what chroot(8) started there).
void kill_processes_inside(const fs::path& root) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::error_code ignored;
        if (fs::read_symlink(entry.path() / "root", ignored) == root) {
            ::kill(std::stoi(name), SIGKILL);
        }
    }
}

// "UID:GID" of `user` in the passwd file of a root (chroot(8) looks names up on this machine).
std::string user_ids(const fs::path& root, const std::string& user) {
    std::ifstream passwd(root / "etc/passwd");
    for (std::string line; std::getline(passwd, line);) {
        std::vector<std::string> fields;
        std::istringstream in(line);
        for (std::string field; std::getline(in, field, ':');) {
            fields.push_back(field);
        }
        if (fields.size() > 3 && fields[0] == user) {
            return fields[2] + ":" + fields[3];
        }
    }
    throw std::runtime_error("no user " + user + " in " + (root / "etc/passwd").string());
}

// Starts argv in the background with standard output and error appended to `log`.
std::unique_ptr<BackgroundCommand> start_logged(const std::vector<std::string>& argv,
                                                const fs::path& log) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot open " + log.string());
    }
    try {
        auto command = std::make_unique<BackgroundCommand>(argv, -1, fd, fd);
        ::close(fd);
        return command;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

std::string log_tail(const fs::path& log) {
    try {
        return tail(read_file(log));
    } catch (const std::exception&) {
        return "(no log)";
    }
}

} // namespace

fs::path cache_directory() {
    return OFFSTAGE_FRESH_SYSTEM_CACHE;
}

fs::path cached_root() {
    return cache_directory() / (std::string(suite) + "-" + today() + ".tar.zst");
}

fs::path built_root() {
    fs::path newest;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(cache_directory(), error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(std::string(suite) + "-") && name.ends_with(".tar.zst") &&
            (newest.empty() || entry.path().filename() > newest.filename())) {
            newest = entry.path();
        }
    }
    return newest;
}

fs::path deb_directory() {
    return cache_directory().parent_path() / "deb";
}

std::string mirror_for(const std::string& suite_name) {
    std::vector<fs::path> files;
    if (fs::exists("/etc/apt/sources.list")) {
        files.push_back("/etc/apt/sources.list");
    }
    std::vector<fs::path> parts;
    if (fs::is_directory("/etc/apt/sources.list.d")) {
        for (const auto& entry : fs::directory_iterator("/etc/apt/sources.list.d")) {
            std::string name = entry.path().filename().string();
            if (name.ends_with(".list") || name.ends_with(".sources")) {
                parts.push_back(entry.path());
            }
        }
    }
    std::sort(parts.begin(), parts.end());
    files.insert(files.end(), parts.begin(), parts.end());

    for (const fs::path& file : files) {
        std::ifstream in(file);
        if (file.extension() == ".sources") {
            // deb822: paragraphs of "Field: value" lines separated by blank lines.
            std::map<std::string, std::string> fields;
            auto paragraph_mirror = [&]() -> std::string {
                auto types = words(fields["types"]);
                auto suites = words(fields["suites"]);
                auto uris = words(fields["uris"]);
                bool enabled = fields.count("enabled") == 0 || fields["enabled"] != "no";
                if (enabled && std::count(types.begin(), types.end(), "deb") != 0 &&
                    std::count(suites.begin(), suites.end(), suite_name) != 0 && !uris.empty()) {
                    return uris.front();
                }
                return "";
            };
            std::string line;
            std::string last_field;
            while (true) {
                bool more = static_cast<bool>(std::getline(in, line));
                if (!more || line.find_first_not_of(" \t") == std::string::npos) {
                    std::string mirror = paragraph_mirror();
                    if (!mirror.empty()) {
                        return mirror;
                    }
                    fields.clear();
                    if (!more) {
                        break;
                    }
                    continue;
                }
                if (line.front() == '#') {
                    continue;
                }
                if (line.front() == ' ' || line.front() == '\t') {
                    fields[last_field] += " " + line; // a continuation line
                    continue;
                }
                auto colon = line.find(':');
                if (colon == std::string::npos) {
                    continue;
                }
                last_field = line.substr(0, colon);
                std::transform(last_field.begin(), last_field.end(), last_field.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                fields[last_field] = line.substr(colon + 1);
            }
        } else {
            // One-line style: deb [options] URI SUITE COMPONENT...
            for (std::string line; std::getline(in, line);) {
                auto parts_of_line = words(line.substr(0, line.find('#')));
                if (parts_of_line.size() < 3 || parts_of_line[0] != "deb") {
                    continue;
                }
                std::size_t i = 1;
                if (parts_of_line[i].front() == '[') {
                    while (i < parts_of_line.size() && parts_of_line[i].back() != ']') {
                        ++i;
                    }
                    ++i;
                }
                if (i + 1 < parts_of_line.size() && parts_of_line[i + 1] == suite_name) {
                    return parts_of_line[i];
                }
            }
        }
    }
    return "";
}

void unmount_below(const fs::path& target) {
    std::ifstream mounts("/proc/self/mounts");
    std::vector<std::string> below;
    for (std::string line; std::getline(mounts, line);) {
        auto fields = words(line);
        if (fields.size() > 1 && fields[1].rfind(target.string() + "/", 0) == 0) {
            below.push_back(fields[1]);
        }
    }
    std::sort(below.rbegin(), below.rend()); // deepest first
    for (const std::string& mount_point : below) {
        run_command({"umount", "-l", mount_point});
    }
}

std::string tail(const std::string& text, std::size_t bytes) {
    return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

std::vector<Record> parse_records(const std::string& bytes) {
    std::vector<std::string> fields;
    std::size_t begin = 0;
    while (begin < bytes.size()) {
        std::size_t end = bytes.find('\0', begin);
        if (end == std::string::npos) {
            ADD_FAILURE() << "scan output does not end with NUL";
            break;
        }
        fields.push_back(bytes.substr(begin, end - begin));
        begin = end + 1;
    }
    EXPECT_EQ(fields.size() % 3, 0U) << "records are kind, detail, path";
    std::vector<Record> records;
    for (std::size_t i = 0; i + 2 < fields.size(); i += 3) {
        records.push_back({fields[i], fields[i + 1], fields[i + 2]});
    }
    return records;
}

std::set<std::string> paths(const std::vector<Record>& records, const std::string& kind,
                            const std::string& detail) {
    std::set<std::string> result;
    for (const Record& record : records) {
        if (record.kind == kind && record.detail == detail) {
            result.insert(record.path);
        }
    }
    return result;
}

std::string listing(const std::set<std::string>& set) {
    std::string text;
    for (const std::string& path : set) {
        text += "  " + path + "\n";
    }
    return text;
}

ChrootSystem::ChrootSystem(const std::string& name)
    : directory_("offstage-" + name)
    , root_(directory_ / "root") {
    fs::create_directory(root_);
    CommandOptions long_running;
    long_running.timeout = std::chrono::seconds(600);
    auto unpack = run_command({"tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
                               "--zstd", "-C", root_.string(), "-xpf", built_root().string()},
                              long_running);
    if (unpack.exit_status != 0) {
        throw std::runtime_error("tar -x " + built_root().string() + ": " + unpack.err);
    }
    // The suite, its point-release updates and its security archive, from the mirrors apt on
    // this machine uses; written as the installer writes them (one-line sources.list).
    std::string sources;
    for (const std::string& part :
         {std::string(suite), std::string(suite) + "-updates", std::string(suite) + "-security"}) {
        if (std::string mirror = mirror_for(part); !mirror.empty()) {
            sources += "deb " + mirror + " " + part + " main\n";
        }
    }
    write_file(host_path("/etc/apt/sources.list"), sources);
    fs::path archives = cache_directory() / "apt-archives";
    fs::create_directories(archives / "partial");
    for (const auto& mount : std::vector<std::vector<std::string>>{
             {"mount", "-t", "proc", "proc", host_path("/proc").string()},
             {"mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts",
              host_path("/dev/pts").string()},
             {"mount", "--bind", archives.string(),
              host_path("/var/cache/apt/archives").string()}}) {
        auto result = run_command(mount);
        if (result.exit_status != 0) {
            unmount_below(root_);
            throw std::runtime_error(mount.back() + ": mount failed: " + result.err);
        }
    }
}

ChrootSystem::~ChrootSystem() {
    // Whatever still runs inside (an sshd session, a daemon a maintainer script started
    // despite policy-rc.d) keeps mounts busy: stop it first.
    kill_processes_inside(root_);
    unmount_below(root_);
}

CommandResult ChrootSystem::sh(const std::string& script, int timeout_seconds,
                               const std::string& stdin_data) const {
    CommandOptions options;
    options.timeout = std::chrono::seconds(timeout_seconds);
    options.stdin_data = stdin_data;
    options.environment =
        std::map<std::string, std::string>{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                           {"HOME", "/root"},
                                           {"LC_ALL", "C.UTF-8"},
                                           {"DEBIAN_FRONTEND", "noninteractive"},
                                           {"DEBCONF_NONINTERACTIVE_SEEN", "true"}};
    return run_command({"/usr/sbin/chroot", root_.string(), "/bin/sh", "-ec", script}, options);
}

CommandResult ChrootSystem::apt(const std::string& arguments, int timeout_seconds) const {
    fs::path policy = host_path("/usr/sbin/policy-rc.d");
    write_file(policy,
               "#!/bin/sh\n# offstage tests: no service starts inside the chroot\nexit 101\n",
               fs::perms(0755));
    auto result = sh("apt-get -y -q -o Dpkg::Use-Pty=0 " + arguments, timeout_seconds);
    fs::remove(policy);
    return result;
}

std::vector<Record> ChrootSystem::scan() const {
    auto result = sh("exec /usr/sbin/offstage scan --format null", 600);
    EXPECT_EQ(result.exit_status, 0) << "offstage scan inside the root: " << result.err;
    return parse_records(result.out);
}

} // namespace offstage::test::fresh

namespace offstage::test::fresh {

DatabaseServers::DatabaseServers(const ChrootSystem& system, const fs::path& log_directory)
    : system_(system)
    , mariadb_log_(log_directory / "mariadbd.log")
    , postgresql_log_(log_directory / "postgres.log") {
    // The socket directories, as the packages' tmpfiles.d entries make them at boot.
    auto directories = system_.sh("install -d -o mysql -g mysql -m 0755 /run/mysqld && "
                                  "install -d -o postgres -g postgres -m 2775 /run/postgresql");
    if (directories.exit_status != 0) {
        throw std::runtime_error("socket directories: " + directories.err);
    }
    // The newest PostgreSQL of the root and its cluster "main", as pg_createcluster made it.
    std::string version;
    for (const auto& entry : fs::directory_iterator(system_.host_path("/usr/lib/postgresql"))) {
        std::string name = entry.path().filename().string();
        if (version.empty() || std::stoi(name) > std::stoi(version)) {
            version = name;
        }
    }
    // Both run with a plain environment; postgres as the root's postgres user (by number:
    // chroot(8) would look a name up on this machine).
    const std::vector<std::string> plain = {"/usr/bin/env", "-i",
                                            "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C.UTF-8"};
    const std::string postgres_ids = user_ids(system_.root(), "postgres");
    std::vector<std::string> mariadbd = {"/usr/sbin/chroot", system_.root().string()};
    mariadbd.insert(mariadbd.end(), plain.begin(), plain.end());
    // mariadbd drops to the mysql user itself (--user), as its unit's ExecStart does.
    mariadbd.insert(mariadbd.end(), {"/usr/sbin/mariadbd", "--user=mysql", "--skip-networking"});
    std::vector<std::string> postgres = {
        "/usr/sbin/chroot", "--userspec=" + postgres_ids,
        "--groups=" + postgres_ids.substr(postgres_ids.find(':') + 1), system_.root().string()};
    postgres.insert(postgres.end(), plain.begin(), plain.end());
    // The cluster's postgresql.conf names its data directory, socket directory and pid file;
    // ssl off: the snakeoil key is readable only by the ssl-cert group, and with no TCP there
    // is nothing to encrypt.
    postgres.insert(postgres.end(),
                    {"/usr/lib/postgresql/" + version + "/bin/postgres", "-c",
                     "config_file=/etc/postgresql/" + version + "/main/postgresql.conf", "-c",
                     "listen_addresses=", "-c", "ssl=off"});
    try {
        mariadbd_ = start_logged(mariadbd, mariadb_log_);
        postgres_ = start_logged(postgres, postgresql_log_);

        auto mariadb_up = system_.sh("for i in $(seq 1 300); do mariadb-admin --silent ping "
                                     ">/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1",
                                     90);
        if (mariadb_up.exit_status != 0) {
            throw std::runtime_error("mariadbd of " + system_.root().string() +
                                     " does not answer after a minute:\n" + log_tail(mariadb_log_));
        }
        auto postgres_up =
            system_.sh("for i in $(seq 1 300); do /usr/lib/postgresql/" + version +
                           "/bin/pg_isready -q -h /var/run/postgresql && exit 0; sleep 0.2; "
                           "done; exit 1",
                       90);
        if (postgres_up.exit_status != 0) {
            throw std::runtime_error("postgres " + version + " of " + system_.root().string() +
                                     " does not answer after a minute:\n" +
                                     log_tail(postgresql_log_));
        }
    } catch (...) {
        stop();
        throw;
    }
}

DatabaseServers::~DatabaseServers() {
    stop();
}

void DatabaseServers::stop() {
    auto stop_one = [](std::unique_ptr<BackgroundCommand>& server, int signal) {
        if (server) {
            ::kill(server->pid(), signal);
            server->wait(std::chrono::seconds(60)); // SIGKILLs it after that
            server.reset();
        }
    };
    stop_one(mariadbd_, SIGTERM);
    stop_one(postgres_, SIGINT);
}

CommandResult DatabaseServers::mariadb(const std::string& sql) const {
    return system_.sh("exec mariadb --batch --skip-column-names", 300, sql);
}

CommandResult DatabaseServers::psql(const std::string& database, const std::string& sql) const {
    return system_.sh(
        "exec runuser -u postgres -- psql -X -q -At -v ON_ERROR_STOP=1 -d " + database, 300, sql);
}

} // namespace offstage::test::fresh
