// What the fresh-system tests share: the daily debootstrapped Debian 12 tarball, the mirror apt
// on this machine uses, `offstage scan --format null` records, and a root unpacked from the
// tarball that commands run in through chroot(8) (with /proc mounted, apt's downloads shared
// between roots and a policy-rc.d that keeps maintainer scripts from starting services).
#pragma once

#include "tests/support/background_command.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace offstage::test::fresh {

inline const char* const suite = "bookworm";

// build/tests/fresh-system/cache: the daily root, apt's shared downloads.
std::filesystem::path cache_directory();
// Today's tarball of the debootstrapped root: the fresh-system-root fixture builds it unless
// it exists.
std::filesystem::path cached_root();
// The newest tarball there is, which the tests use: a run that crosses midnight still finds
// the one its fixture built ("" path when there is none).
std::filesystem::path built_root();
// build/tests/fresh-system/deb: the packages the fresh-system-deb fixture built this run.
std::filesystem::path deb_directory();

// The first URI that apt on this machine uses for `suite_name` (sources.list and deb822
// .sources files, in apt's order); "" when there is none.
std::string mirror_for(const std::string& suite_name);

// Unmounts everything mounted below `target`, deepest first.
void unmount_below(const std::filesystem::path& target);

// The last `bytes` of `text`, for failure messages of chatty programs.
std::string tail(const std::string& text, std::size_t bytes = 4000);

// One scan record of `offstage scan --format null`: kind, detail, path.
struct Record {
    std::string kind;
    std::string detail;
    std::string path;
};
// Parses NUL-separated records; a malformed stream is a test failure.
std::vector<Record> parse_records(const std::string& bytes);
std::set<std::string> paths(const std::vector<Record>& records, const std::string& kind,
                            const std::string& detail);
std::string listing(const std::set<std::string>& set);

// A Debian root unpacked from today's tarball, with apt pointed at this machine's mirrors for
// the suite, its -updates and its -security (rsync >= 3.5.0 comes from there). Unmounts and
// removes everything on destruction.
class ChrootSystem {
public:
    explicit ChrootSystem(const std::string& name);
    ~ChrootSystem();
    ChrootSystem(const ChrootSystem&) = delete;
    ChrootSystem& operator=(const ChrootSystem&) = delete;

    const std::filesystem::path& root() const { return root_; }
    // `path` (absolute, as seen inside) on this machine.
    std::filesystem::path host_path(const std::string& path) const {
        return root_ / path.substr(1);
    }

    // Runs `script` with /bin/sh -e inside the root, as root, with a plain environment.
    CommandResult sh(const std::string& script, int timeout_seconds = 300,
                     const std::string& stdin_data = "") const;
    // Runs apt-get ARGS (non-interactive, -y) with a policy-rc.d that refuses every service
    // start, removed again afterwards (it is not part of the system under test).
    CommandResult apt(const std::string& arguments, int timeout_seconds = 1200) const;
    // `offstage scan --format null` of the installed package, with its configuration.
    std::vector<Record> scan() const;

private:
    TempDir directory_;
    std::filesystem::path root_;
};

// The MariaDB and PostgreSQL servers of a root's packages, running. policy-rc.d kept their
// maintainer scripts from starting them and a chroot has no systemd, so they are started here
// as their units would: the root's own configuration (/etc/mysql, /etc/postgresql), data
// directories and default sockets (/run/mysqld/mysqld.sock, /var/run/postgresql), so that the
// root's clients and offstage's defaults reach them; but no TCP (this machine may run its own
// servers on the same ports) and their logs on stderr, into files outside the root (a log
// under the root's /var/log would be a backed-up file that changes after the backup).
// Stopped on destruction, even when a test failed: mariadbd by SIGTERM, postgres by SIGINT
// (fast shutdown), killed after a minute; all before the root is unmounted and removed.
class DatabaseServers {
public:
    // Starts both and waits until each answers; throws std::runtime_error with the server's
    // log when one does not within a minute (the other is stopped again).
    DatabaseServers(const ChrootSystem& system, const std::filesystem::path& log_directory);
    ~DatabaseServers();
    DatabaseServers(const DatabaseServers&) = delete;
    DatabaseServers& operator=(const DatabaseServers&) = delete;

    // SQL on stdin of the root's `mariadb` as root@localhost (unix socket), tab-separated rows,
    // stopping at the first error.
    CommandResult mariadb(const std::string& sql) const;
    // SQL on stdin of the root's psql as postgres, in `database`, unaligned rows, stopping at
    // the first error.
    CommandResult psql(const std::string& database, const std::string& sql) const;

private:
    void stop();

    const ChrootSystem& system_;
    std::filesystem::path mariadb_log_;
    std::filesystem::path postgresql_log_;
    std::unique_ptr<BackgroundCommand> mariadbd_;
    std::unique_ptr<BackgroundCommand> postgres_;
};

} // namespace offstage::test::fresh
