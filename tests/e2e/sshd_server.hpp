// Debian's OpenSSH sshd, run by a test on 127.0.0.1 and a free port with its own host key,
// client key, sshd_config and a single authorized_keys line that forces one command.
// Guarantees: the constructor returns only once the port accepts connections (or throws with
// sshd's own log); the destructor stops sshd and every session it started, even mid-test.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace offstage::e2e {

class SshdServer {
public:
    struct Options {
        // Where the keys, sshd_config, authorized_keys, pid file and sshd's log go. Must exist
        // and be readable by `login_user` (sshd reads authorized_keys as that user).
        std::filesystem::path directory;
        // The command="..." of the only key: what every login runs, whatever the client asks.
        // Empty: the key line has no command= (then extra_config should force one).
        std::string forced_command;
        // The other options of that key line, before command=.
        std::string key_options = "restrict";
        // The account the client logs in as; nullopt: the current user (root in CI). sshd can
        // only switch users when it runs as root; unprivileged it serves only its own user.
        std::optional<std::string> login_user;
        // Appended to sshd_config as is (e.g. a Match block with ForceCommand).
        std::string extra_config;
    };

    explicit SshdServer(Options options);
    SshdServer(const SshdServer&) = delete;
    SshdServer& operator=(const SshdServer&) = delete;
    ~SshdServer();

    // Stops sshd and its sessions; idempotent.
    void stop();

    int port() const { return port_; }
    const std::string& login_user() const { return login_user_; }
    // "USER@127.0.0.1", what ssh and rsync take as the host.
    std::string destination() const { return login_user_ + "@127.0.0.1"; }
    // The client command without the destination: ssh -F /dev/null -i KEY ... -p PORT. No
    // user config, no agent, no known_hosts, no password prompt.
    std::vector<std::string> ssh_argv() const;
    // ssh_argv() as one string, for rsync's -e (rsync splits it on spaces).
    std::string ssh_command_line() const;
    // The authorized_keys line as installed.
    const std::string& authorized_keys_line() const { return authorized_keys_line_; }
    // What sshd wrote on stderr (-e): authentication and session messages, for diagnostics.
    std::string log() const;
    // "OpenSSH_9.2p1 ..." as reported by the client; for the demo's heading.
    static std::string openssh_version();

    static constexpr const char* sshd_program = "/usr/sbin/sshd";
    static constexpr const char* ssh_program = "/usr/bin/ssh";

private:
    void write_keys_and_config();
    // Starts sshd on `port_`; false when another process took the port first (then the
    // caller picks another one), throws on any other failure.
    bool start_on_port();

    Options options_;
    std::string login_user_;
    std::filesystem::path host_key_;
    std::filesystem::path client_key_;
    std::filesystem::path config_file_;
    std::filesystem::path log_file_;
    std::string authorized_keys_line_;
    int port_ = 0;
    pid_t pid_ = -1;
};

} // namespace offstage::e2e
