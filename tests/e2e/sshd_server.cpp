#include "tests/e2e/sshd_server.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <arpa/inet.h>
#include <chrono>
#include <deque>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace offstage::e2e {

namespace {

namespace fs = std::filesystem;
using platform::UniqueFd;
using namespace std::chrono_literals;

constexpr auto startup_timeout = 10s;
constexpr auto stop_timeout = 5s;
constexpr int port_attempts = 5;

std::string current_user() {
    const uid_t uid = ::geteuid();
    if (uid == 0) {
        return "root";
    }
    const passwd* entry = ::getpwuid(uid);
    if (entry == nullptr) {
        throw std::runtime_error("SshdServer: uid " + std::to_string(uid) +
                                 " has no passwd entry, so sshd cannot log it in");
    }
    return entry->pw_name;
}

sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return address;
}

// A port the kernel just handed out on 127.0.0.1. Another process may take it before sshd
// binds it; start_on_port() notices and the constructor tries another one.
int free_port() {
    UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket_fd) {
        platform::throw_errno("socket for a free port");
    }
    sockaddr_in address = loopback(0);
    if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        platform::throw_errno("bind 127.0.0.1:0");
    }
    socklen_t length = sizeof address;
    if (::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        platform::throw_errno("getsockname");
    }
    return ntohs(address.sin_port);
}

bool accepts_connections(int port) {
    UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!socket_fd) {
        platform::throw_errno("socket to probe sshd");
    }
    sockaddr_in address = loopback(port);
    return ::connect(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

void generate_key(const fs::path& path, const std::string& comment) {
    test::CommandResult result = test::run_command(
        {"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path.string()});
    if (result.exit_status != 0) {
        throw std::runtime_error("ssh-keygen -f " + path.string() + " exited with " +
                                 std::to_string(result.exit_status) + ": " + result.err);
    }
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    return text;
}

// Every process below `root` in the process tree, from /proc. sshd starts each connection
// and each session in a session of its own (setsid), so killing sshd's process group alone
// would leave a running session behind.
std::vector<pid_t> descendants_of(pid_t root) {
    std::multimap<pid_t, pid_t> children;
    std::error_code error;
    for (const fs::directory_entry& entry : fs::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream stat_file(entry.path() / "stat");
        std::string stat;
        std::getline(stat_file, stat);
        // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        const auto close_paren = stat.rfind(')');
        if (close_paren == std::string::npos) {
            continue;
        }
        std::istringstream fields(stat.substr(close_paren + 1));
        char state = 0;
        pid_t parent = 0;
        if (fields >> state >> parent) {
            children.emplace(parent, static_cast<pid_t>(std::stol(name)));
        }
    }
    std::vector<pid_t> found;
    std::deque<pid_t> pending{root};
    while (!pending.empty()) {
        const pid_t parent = pending.front();
        pending.pop_front();
        auto [begin, end] = children.equal_range(parent);
        for (auto it = begin; it != end; ++it) {
            found.push_back(it->second);
            pending.push_back(it->second);
        }
    }
    return found;
}

} // namespace

SshdServer::SshdServer(Options options)
    : options_(std::move(options))
    , login_user_(options_.login_user ? *options_.login_user : current_user()) {
    if (options_.forced_command.find('"') != std::string::npos) {
        throw std::invalid_argument("SshdServer: a forced command cannot contain '\"': " +
                                    options_.forced_command);
    }
    write_keys_and_config();
    for (int attempt = 0; attempt < port_attempts; ++attempt) {
        port_ = free_port();
        if (start_on_port()) {
            return;
        }
    }
    throw std::runtime_error("sshd: no free port on 127.0.0.1 after " +
                             std::to_string(port_attempts) + " attempts; log " +
                             log_file_.string());
}

SshdServer::~SshdServer() {
    stop();
}

void SshdServer::write_keys_and_config() {
    const fs::path& dir = options_.directory;
    host_key_ = dir / "ssh_host_ed25519_key";
    client_key_ = dir / "client_ed25519_key";
    config_file_ = dir / "sshd_config";
    log_file_ = dir / "sshd.log";
    generate_key(host_key_, "offstage-e2e host key");
    generate_key(client_key_, "offstage-e2e provider key");

    const std::string public_key = trimmed(test::read_file(fs::path(client_key_) += ".pub"));
    std::string key_options = options_.key_options;
    if (!options_.forced_command.empty()) {
        key_options +=
            (key_options.empty() ? "command=\"" : ",command=\"") + options_.forced_command + "\"";
    }
    authorized_keys_line_ = key_options.empty() ? public_key : key_options + " " + public_key;
    test::write_file(dir / "authorized_keys", authorized_keys_line_ + "\n");

    // Running as root, sshd insists on its privilege separation directory (Debian creates
    // it at boot through tmpfiles.d; a container may not have it).
    if (::geteuid() == 0 && !fs::exists("/run/sshd")) {
        fs::create_directories("/run/sshd");
        fs::permissions("/run/sshd", fs::perms(0755));
    }
}

bool SshdServer::start_on_port() {
    const fs::path& dir = options_.directory;
    std::ostringstream config;
    config << "# written by the offstage end-to-end tests\n"
           << "ListenAddress 127.0.0.1\n"
           << "Port " << port_ << "\n"
           << "HostKey " << host_key_.string() << "\n"
           << "PidFile " << (dir / "sshd.pid").string() << "\n"
           << "AuthorizedKeysFile " << (dir / "authorized_keys").string() << "\n"
           << "AllowUsers " << login_user_
           << "\n"
           // The temp dir is not root-owned 0755 all the way up when unprivileged.
           << "StrictModes no\n"
           << "PubkeyAuthentication yes\n"
           << "PasswordAuthentication no\n"
           << "KbdInteractiveAuthentication no\n"
           << "UsePAM no\n"
           // CI runs as root: allow root only through the forced command, as a real
           // deployment never would log root in at all.
           << "PermitRootLogin forced-commands-only\n"
           << "AllowTcpForwarding no\n"
           << "X11Forwarding no\n"
           << "PrintMotd no\n"
           << "UseDNS no\n"
           << "LogLevel VERBOSE\n"
           // Last: a Match block runs to the end of the file.
           << options_.extra_config;
    test::write_file(config_file_, config.str(), fs::perms(0600));

    UniqueFd log_fd(::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
    if (!log_fd) {
        platform::throw_errno("open " + log_file_.string());
    }
    UniqueFd null_fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!null_fd) {
        platform::throw_errno("open /dev/null");
    }
    // -D: stay in the foreground (our child, so we can stop it); -e: log to stderr.
    std::vector<std::string> argv{sshd_program, "-D", "-e", "-f", config_file_.string()};
    std::vector<char*> args;
    for (std::string& arg : argv) {
        args.push_back(arg.data());
    }
    args.push_back(nullptr);
    std::string path_variable = "PATH=/usr/sbin:/usr/bin:/sbin:/bin";
    std::vector<char*> environment{path_variable.data(), nullptr};

    // fork+exec rather than posix_spawn for one thing posix_spawn cannot do: PR_SET_PDEATHSIG,
    // so that sshd goes down with the test process even when that crashes before stop().
    // Between fork and exec the child calls only async-signal-safe functions.
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        platform::throw_errno(std::string("fork for ") + sshd_program);
    }
    if (pid == 0) {
        ::setpgid(0, 0); // its own group: stop() signals the group, never the test's
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parent) {
            ::_exit(127); // the test died before the death signal was armed
        }
        struct sigaction default_action {};
        default_action.sa_handler = SIG_DFL;
        for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
            ::sigaction(signal_number, &default_action, nullptr); // fails harmlessly for some
        }
        sigset_t no_signals;
        sigemptyset(&no_signals);
        ::sigprocmask(SIG_SETMASK, &no_signals, nullptr);
        ::dup2(null_fd.get(), 0);
        ::dup2(log_fd.get(), 1);
        ::dup2(log_fd.get(), 2);
        ::execve(sshd_program, args.data(), environment.data());
        ::_exit(127);
    }
    pid_ = pid;
    ::setpgid(pid_, pid_); // also from this side, so stop() never races the child's setpgid

    const auto deadline = std::chrono::steady_clock::now() + startup_timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            const std::string text = log();
            if (text.find("Address already in use") != std::string::npos) {
                return false;
            }
            throw std::runtime_error(
                std::string(sshd_program) + " -f " + config_file_.string() +
                " exited with status " +
                std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status)) +
                " before listening on 127.0.0.1:" + std::to_string(port_) + "; its log:\n" + text);
        }
        if (accepts_connections(port_)) {
            return true;
        }
        std::this_thread::sleep_for(20ms);
    }
    stop();
    throw std::runtime_error(std::string(sshd_program) +
                             " did not accept connections on 127.0.0.1:" + std::to_string(port_) +
                             " within " + std::to_string(startup_timeout.count()) +
                             " s; its log:\n" + log());
}

void SshdServer::stop() {
    if (pid_ < 0) {
        return;
    }
    // First the listener, so that no new session starts, then whatever sessions remain.
    const std::vector<pid_t> sessions = descendants_of(pid_);
    ::kill(-pid_, SIGTERM);
    for (pid_t session : sessions) {
        ::kill(session, SIGKILL);
    }
    const auto deadline = std::chrono::steady_clock::now() + stop_timeout;
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(-pid_, SIGKILL);
            ::waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
}

std::vector<std::string> SshdServer::ssh_argv() const {
    return {ssh_program, "-F", "/dev/null", "-i", client_key_.string(), "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none", "-o", "StrictHostKeyChecking=no", "-o",
            "UserKnownHostsFile=/dev/null", "-o", "GlobalKnownHostsFile=/dev/null", "-o",
            "BatchMode=yes",
            // Quiet, so that what the client shows on stderr is what the server said.
            "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=10", "-p", std::to_string(port_)};
}

std::string SshdServer::ssh_command_line() const {
    std::string line;
    for (const std::string& arg : ssh_argv()) {
        if (arg.find_first_of(" \t\"'\\") != std::string::npos) {
            throw std::runtime_error("SshdServer: '" + arg +
                                     "' cannot be passed through rsync -e, which splits on "
                                     "spaces; use a TMPDIR without spaces or quotes");
        }
        line += line.empty() ? arg : " " + arg;
    }
    return line;
}

std::string SshdServer::log() const {
    std::ifstream in(log_file_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string SshdServer::openssh_version() {
    return trimmed(test::run_command({ssh_program, "-V"}).err);
}

} // namespace offstage::e2e
