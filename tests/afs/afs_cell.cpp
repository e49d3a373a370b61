#include "tests/afs/afs_cell.hpp"

#include <csignal>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <openssl/rand.h>
#include <stdexcept>
#include <sys/file.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;

namespace offstage::test {

namespace {

const fs::path openafs_lib = "/usr/lib/openafs";
const fs::path openafs_local = "/var/lib/openafs/local"; // compiled in: sysid, fssync.sock
const fs::path partition_path = "/vicepz"; // a /vicepXX directory at the root is a partition
const char* const cell_lock = "/run/offstage-test-afs-cell.lock";

// An old-style KeyFile with one single-DES key (enough for -localauth): nkeys, kvno, 8 key
// bytes with odd parity, big-endian, padded to 100 bytes. The servers warn about single-DES
// keys; harmless for a cell that lives for one test binary.
std::string key_file() {
    unsigned char key[8];
    if (RAND_bytes(key, sizeof key) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    for (unsigned char& byte : key) {
        byte &= 0xfe;
        if (__builtin_popcount(byte) % 2 == 0) {
            byte |= 1;
        }
    }
    std::string file = {0, 0, 0, 1, 0, 0, 0, 1};
    file.append(reinterpret_cast<const char*>(key), sizeof key);
    file.resize(100, '\0');
    return file;
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& output) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int fd = ::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        int null = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (fd < 0 || null < 0 || ::dup2(null, 0) < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) {
            ::_exit(127);
        }
        ::setpgid(0, 0); // Ctrl-C of the test runner is our business, not the daemons'
        std::vector<char*> args;
        for (const std::string& arg : argv) {
            args.push_back(const_cast<char*>(arg.c_str()));
        }
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    if (pid < 0) {
        throw std::runtime_error("fork failed");
    }
    return pid;
}

bool alive(pid_t pid) {
    return ::waitpid(pid, nullptr, WNOHANG) == 0;
}

void end(pid_t pid, int signal) {
    ::kill(pid, signal);
    for (int i = 0; i < 100 && alive(pid); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (alive(pid)) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
    }
}

} // namespace

std::optional<std::string> AfsCell::unavailable() {
    if (::geteuid() != 0) {
        return "an AFS cell needs root (network namespace, /vicepz, /var/lib/openafs/local)";
    }
    for (const char* server : {"vlserver", "ptserver", "fileserver", "volserver"}) {
        if (::access((openafs_lib / server).c_str(), X_OK) != 0) {
            return (openafs_lib / server).string() +
                   " is missing (apt-get install openafs-fileserver openafs-dbserver)";
        }
    }
    if (::access("/usr/bin/vos", X_OK) != 0) {
        return "/usr/bin/vos is missing (apt-get install openafs-client)";
    }
    CommandResult probe = run_command({"unshare", "-n", "ip", "link", "set", "lo", "up"});
    if (probe.exit_status != 0) {
        return "no private network namespace on this machine (unshare -n: " + probe.err + ")";
    }
    return std::nullopt;
}

AfsCell::AfsCell() {
    lock_fd_ = ::open(cell_lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX) != 0) {
        throw std::runtime_error(std::string("cannot lock ") + cell_lock);
    }
    try {
        start();
    } catch (...) {
        stop();
        throw;
    }
}

AfsCell::~AfsCell() {
    stop();
}

void AfsCell::daemon(const std::string& name, std::vector<std::string> argv) {
    argv.insert(argv.begin(), {"nsenter", "-t", std::to_string(namespace_pid_), "-n"});
    // nsenter -n without --fork execs in place: the pid is the daemon's own.
    daemons_.emplace_back(name, spawn(argv, dir_ / "logs" / (name + ".out")));
    watchdog_->watch(platform::ProcessHandle(daemons_.back().second),
                     name == "fs" ? SIGQUIT : SIGTERM, std::chrono::seconds(5));
}

void AfsCell::start() {
    watchdog_.emplace(dir_.path());
    fs::path etc = config_dir();
    fs::create_directories(etc);
    fs::create_directories(dir_ / "db");
    fs::create_directories(dir_ / "logs");
    write_file(etc / "ThisCell", "test.cell\n");
    write_file(etc / "CellServDB", ">test.cell #throwaway test cell\n" + address_ + " #db1\n");
    write_file(etc / "UserList", "");
    write_file(etc / "KeyFile", key_file(), fs::perms(0600));
    fs::remove(openafs_local / "NoAuth"); // left by a -noauth server: it would disable auth
    fs::create_directories(openafs_local);
    fs::create_directories(partition_path);
    write_file(partition_path / "AlwaysAttach", "");

    namespace_pid_ = spawn({"unshare", "-n", "sleep", "infinity"}, dir_ / "logs/ns.out");
    watchdog_->watch(platform::ProcessHandle(namespace_pid_), SIGKILL,
                     std::chrono::milliseconds(0));
    for (int i = 0; i < 50; ++i) { // until the sleeper is inside its own namespace
        if (fs::read_symlink("/proc/" + std::to_string(namespace_pid_) + "/ns/net") !=
            fs::read_symlink("/proc/self/ns/net")) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "link", "set", "lo", "up"},
             {"ip", "addr", "add", address_ + "/32", "dev", "lo"}}) {
        CommandResult done = run(argv);
        if (done.exit_status != 0) {
            throw std::runtime_error("ip in the cell's namespace: " + done.err);
        }
    }
    std::string logs = (dir_ / "logs").string();
    daemon("vl", {(openafs_lib / "vlserver").string(), "-config", etc.string(), "-database",
                  (dir_ / "db/vldb").string(), "-logfile", logs + "/VLLog"});
    daemon("pt", {(openafs_lib / "ptserver").string(), "-config", etc.string(), "-database",
                  (dir_ / "db/prdb").string(), "-logfile", logs + "/PtLog"});
    // The fileserver registers its address once at start and retries only minutes later: wait
    // for ubik's quorum first.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (vos({"listvldb"}).exit_status != 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("the cell's vlserver got no quorum in 60 s; see " + logs);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    daemon("fs", {(openafs_lib / "fileserver").string(), "-config", etc.string(), "-logfile",
                  logs + "/FileLog"});
    daemon("vol", {(openafs_lib / "volserver").string(), "-config", etc.string(), "-logfile",
                   logs + "/VolserLog"});
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (true) {
        CommandResult addresses = vos({"listaddrs"});
        if (addresses.out.find(address_ + "\n") != std::string::npos &&
            vos({"listpart", address_}).exit_status == 0) {
            return;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("the cell's file server did not come up in 60 s; see " + logs);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

void AfsCell::stop() noexcept {
    // The fileserver shuts down cleanly on SIGQUIT; the others on SIGTERM.
    for (auto& [name, pid] : daemons_) {
        end(pid, name == "fs" ? SIGQUIT : SIGTERM);
    }
    daemons_.clear();
    if (namespace_pid_ > 0) {
        end(namespace_pid_, SIGKILL);
        namespace_pid_ = -1;
    }
    watchdog_.reset(); // all stopped: the watchdog leaves without acting
    std::error_code ignored;
    fs::remove_all(partition_path, ignored);
    for (const char* name : {"sysid", "sysid.old", "fssync.sock", "NoAuth"}) {
        fs::remove(openafs_local / name, ignored);
    }
    if (lock_fd_ >= 0) {
        ::close(lock_fd_); // releases the flock
        lock_fd_ = -1;
    }
}

CommandResult AfsCell::run(std::vector<std::string> argv, std::chrono::seconds timeout) const {
    argv.insert(argv.begin(), {"nsenter", "-t", std::to_string(namespace_pid_), "-n"});
    CommandOptions options;
    options.timeout = timeout;
    return run_command(argv, options);
}

CommandResult AfsCell::vos(std::vector<std::string> arguments) const {
    arguments.insert(arguments.begin(), "/usr/bin/vos");
    arguments.insert(arguments.end(), {"-localauth", "-config", config_dir().string()});
    return run(arguments);
}

std::string AfsCell::vos_ok(const std::vector<std::string>& arguments) const {
    CommandResult done = vos(arguments);
    if (done.exit_status != 0) {
        std::string line;
        for (const std::string& argument : arguments) {
            line += " " + argument;
        }
        ADD_FAILURE() << "vos" << line << ": exit " << done.exit_status << ": " << done.err
                      << done.out;
        return "";
    }
    return done.out;
}

} // namespace offstage::test
