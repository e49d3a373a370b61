// offstage-shell deployed as a provider meets it, inside one directory: a staging root with
// the sample tree, an offstage.toml for the shell, a stand-in backup script, and an sshd whose
// only key is forced to `offstage-shell --config offstage.toml`. Clients are the real ssh and
// rsync. The end-to-end tests and the demo (offstage-e2e-site) share this one setup.
#pragma once

#include "tests/e2e/sshd_server.hpp"
#include "tests/support/run_command.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offstage::e2e {

class ShellDeployment {
public:
    struct Options {
        std::filesystem::path shell_program;   // the built offstage-shell
        std::optional<std::string> login_user; // see SshdServer::Options
        int backup_exit_status = 0;            // what the stand-in backup script exits with
    };

    // Builds everything below `directory` (which must exist) and starts sshd.
    ShellDeployment(const std::filesystem::path& directory, Options options);
    ShellDeployment(const ShellDeployment&) = delete;
    ShellDeployment& operator=(const ShellDeployment&) = delete;
    ~ShellDeployment();

    const std::filesystem::path& directory() const { return directory_; }
    std::filesystem::path staging_root() const { return directory_ / "staging"; }
    // Holds the secret that the symlink in the staging root points at.
    std::filesystem::path outside() const { return directory_ / "outside"; }
    std::filesystem::path config_file() const { return directory_ / "offstage.toml"; }
    std::filesystem::path shell_log() const { return directory_ / "log" / "shell.log"; }
    std::filesystem::path backup_script() const { return directory_ / "backup.sh"; }
    // While this file exists, the backup script announces itself by creating
    // backup_started() and waits until backup_release() exists (for concurrency tests).
    std::filesystem::path backup_hold() const { return directory_ / "backup.hold"; }
    std::filesystem::path backup_started() const { return directory_ / "backup.started"; }
    std::filesystem::path backup_release() const { return directory_ / "backup.release"; }

    // Rewrites offstage.toml with another [shell] backup_command (argv); the shell reads its
    // config at every login, so this takes effect for the next command.
    void write_config(const std::vector<std::string>& backup_command) const;

    SshdServer& sshd() { return *sshd_; }
    const SshdServer& sshd() const { return *sshd_; }
    // "USER@127.0.0.1:PATH", an rsync remote path.
    std::string remote(const std::string& path) const { return sshd_->destination() + ":" + path; }

    // `ssh HOST REMOTE_COMMAND`: the command travels as one string, as a provider types it.
    test::CommandResult ssh(const std::string& remote_command) const;
    // `rsync -e "ssh ..." ARGS...` with Debian's rsync client.
    test::CommandResult rsync(const std::vector<std::string>& args) const;

    static constexpr const char* rsync_program = "/usr/bin/rsync";

private:
    void write_script(const Options& options) const;

    std::filesystem::path directory_;
    std::unique_ptr<SshdServer> sshd_;
};

} // namespace offstage::e2e
