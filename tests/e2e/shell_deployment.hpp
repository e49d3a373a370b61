// offstage deployed as a provider meets it, inside one directory: a staging root, the shell's
// config (shell.toml) and the run's (offstage.toml), and an sshd whose only key is forced to
// `offstage-shell --config shell.toml`. `backup` runs the real built `offstage --config
// offstage.toml run`, which scans a small dpkg root (tests/selection's TinyDebianRoot), archives
// a spool, encrypts to a freshly made age identity, signs with the key its first run creates,
// publishes a dated tree and mails a report through a sendmail that keeps the message in a file.
// Clients are the real ssh and rsync. The end-to-end tests and the demo (offstage-e2e-site)
// share this one setup.
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
    // The dpkg root the run scans ([scan] root, admindir, policy_dir).
    struct ScanRoot {
        std::filesystem::path root;
        std::filesystem::path admindir;
        std::filesystem::path policy_dir;
    };

    struct Options {
        std::filesystem::path shell_program;    // the built offstage-shell
        std::filesystem::path offstage_program; // the built offstage
        ScanRoot scan;
        std::optional<std::string> login_user; // see SshdServer::Options
        // [staging] group: the group the published trees belong to (the pull user's); empty:
        // the run's own group (root's, enough when the pull logs in as root).
        std::string pull_group;
        // Also write the hand-made tree of SampleStagingTree (odd names, a symlink out of the
        // root, a .incoming dir inside it) for the tests of the shell's path rules.
        bool sample_tree = false;
        // [mail] send: the cadence of the run's mail (docs/mail.md).
        std::string mail_send = "on-change";
    };

    // Builds everything below `directory` (which must exist), makes the age identity and
    // starts sshd. Nothing is staged yet: the first `backup` (or stage()) does that.
    ShellDeployment(const std::filesystem::path& directory, Options options);
    ShellDeployment(const ShellDeployment&) = delete;
    ShellDeployment& operator=(const ShellDeployment&) = delete;
    ~ShellDeployment();

    const std::filesystem::path& directory() const { return directory_; }
    const std::filesystem::path& offstage_program() const { return options_.offstage_program; }
    const ScanRoot& scan() const { return options_.scan; }
    std::filesystem::path staging_root() const { return directory_ / "staging"; }
    // The run's work root: the default, ROOT.work beside the staging root.
    std::filesystem::path work_root() const { return directory_ / "staging.work"; }
    // Holds the secret that the sample tree's symlink points at.
    std::filesystem::path outside() const { return directory_ / "outside"; }
    // The shell's config ([staging] root, [shell]). A file of its own, not the run's: a test
    // changes the backup command (the day it stages) and the run's config must stay the same
    // from day to day, since the run archives it (system.tar.zst.age) and reuses yesterday's
    // artifact only when nothing in it changed. On a host one /etc/offstage/offstage.toml holds
    // both.
    std::filesystem::path config_file() const { return directory_ / "shell.toml"; }
    // The run's config: the same [staging] root, [run], [catalog], [scan], [encryption], [mail],
    // [[spool]].
    std::filesystem::path run_config() const { return directory_ / "offstage.toml"; }
    std::filesystem::path shell_log() const { return directory_ / "log" / "shell.log"; }
    // [shell] receipts_file in both configs: the shell appends, the run and `status` import.
    // Created empty, as the deployment does (docs/deployment.md).
    std::filesystem::path receipts_file() const { return directory_ / "log" / "receipts"; }
    // [status] html_dir and metrics_file of the run's config: what every run writes at its end.
    std::filesystem::path status_page_dir() const { return directory_ / "www"; }
    std::filesystem::path metrics_file() const { return directory_ / "metrics" / "offstage.prom"; }
    // The admins' age identity (on a real host it lives off-host; the run knows only its
    // recipient).
    std::filesystem::path identity() const { return directory_ / "keys" / "identity.txt"; }
    // [staging] signing_key, [run] state_dir, [catalog] path.
    std::filesystem::path state_dir() const { return directory_ / "state"; }
    std::filesystem::path signing_key() const { return state_dir() / "signing.key"; }
    // [run] lock (the run's) and [shell] backup_lock (the shell's).
    std::filesystem::path run_lock() const { return directory_ / "run" / "offstage-run.lock"; }
    std::filesystem::path backup_lock() const { return directory_ / "run" / "backup.lock"; }
    // The [[spool]] named "mail": its directory and the lock file the run waits for. A test
    // that holds this lock (HeldFlock) keeps a running `backup` waiting inside the run.
    static constexpr const char* spool_name = "mail";
    std::filesystem::path spool_directory() const { return directory_ / "spool" / "queue"; }
    std::filesystem::path spool_lock() const { return directory_ / "spool" / "queue.lock"; }
    // [mail] sendmail: a script that keeps the message the run sends in last_mail().
    std::filesystem::path sendmail_capture() const { return directory_ / "sendmail-capture"; }
    std::filesystem::path last_mail() const { return directory_ / "mail" / "last.eml"; }

    // The backup command as the shell runs it: {offstage, --config, RUN_CONFIG, run[, --day, DAY]}
    // (without a day the run stages today, local time).
    std::vector<std::string> run_argv(const std::optional<std::string>& day = std::nullopt) const;

    // Rewrites shell.toml with another [shell] backup_command (argv), and offstage.toml with the
    // spool's lock budget; both programs read their config at every start, so this takes effect
    // for the next command.
    void write_config(const std::vector<std::string>& backup_command,
                      int spool_lock_timeout_seconds = default_spool_lock_timeout) const;
    // write_config(run_argv(day)): the next `backup` stages `day`.
    void backup_stages(const std::string& day) const { write_config(run_argv(day)); }

    // `offstage --config RUN_CONFIG ARGS...` run here, as root (as cron runs `offstage run`).
    test::CommandResult offstage(const std::vector<std::string>& args) const;
    // `offstage key signing --key SIGNING_KEY` written to `path`: the public key the provider
    // keeps (docs/staging-tree.md). Throws if the run has not made the key yet.
    std::filesystem::path write_signing_public_key(const std::filesystem::path& path) const;

    SshdServer& sshd() { return *sshd_; }
    const SshdServer& sshd() const { return *sshd_; }
    // "USER@127.0.0.1:PATH", an rsync remote path.
    std::string remote(const std::string& path) const { return sshd_->destination() + ":" + path; }

    // `ssh HOST REMOTE_COMMAND`: the command travels as one string, as a provider types it.
    test::CommandResult ssh(const std::string& remote_command) const;
    // `rsync -e "ssh ..." ARGS...` with Debian's rsync client.
    test::CommandResult rsync(const std::vector<std::string>& args) const;

    static constexpr const char* rsync_program = "/usr/bin/rsync";
    static constexpr int default_spool_lock_timeout = 60;

private:
    void write_sendmail_capture() const;

    std::filesystem::path directory_;
    Options options_;
    std::string recipient_;
    std::unique_ptr<SshdServer> sshd_;
};

} // namespace offstage::e2e
