#include "forced-shell/forced_shell.hpp"

#include "forced-shell/backup_lock.hpp"
#include "forced-shell/child_process.hpp"
#include "forced-shell/decision_log.hpp"
#include "forced-shell/deployment_check.hpp"
#include "forced-shell/exit_status.hpp"
#include "forced-shell/invocation.hpp"
#include "forced-shell/pull_receipt.hpp"
#include "forced-shell/refusal.hpp"
#include "forced-shell/shell_command.hpp"
#include "forced-shell/shell_config.hpp"
#include "forced-shell/staging_root.hpp"
#include "platform/config_file.hpp"
#include "platform/unique_fd.hpp"

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <syslog.h>
#include <unistd.h>

namespace offstage::forced_shell {

namespace {

// Fixed environments for the children: nothing of the login's environment (LD_*, BASH_ENV,
// POPT*, RSYNC_*, a client's AcceptEnv variables) reaches them. HOME does not exist, so
// nothing can be read from or written to a home directory (rsync -C reads $HOME/.cvsignore).
const std::vector<std::string> rsync_environment = {"PATH=/usr/bin:/bin", "HOME=/nonexistent"};
const std::vector<std::string> backup_environment = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                                     "HOME=/nonexistent"};

void say(const std::string& line) {
    std::string text = "offstage-shell: " + line + "\n";
    [[maybe_unused]] ssize_t ignored = ::write(2, text.data(), text.size());
}

int refuse(DecisionLog& log, Decision decision, int status) {
    decision.event = "refused";
    decision.status = status;
    log.record(decision);
    say("refused: " + decision.reason);
    return status;
}

int fail(DecisionLog& log, Decision decision, int status) {
    decision.event = "error";
    decision.status = status;
    log.record(decision);
    say(decision.reason);
    return status;
}

// Logs the allowed command, runs it, logs how it ended and passes its exit status on.
int run_allowed(const std::vector<std::string>& argv, const ChildProcess::Options& options,
                DecisionLog& log, Decision decision) {
    decision.event = "allowed";
    log.record(decision);
    try {
        int status = ChildProcess::run(argv, options);
        decision.event = "finished";
        decision.status = status;
        log.record(decision);
        return status;
    } catch (const std::system_error& error) {
        decision.reason = error.what();
        return fail(log, decision, ExitStatus::os_error);
    }
}

int run_backup(const ShellConfig& config, DecisionLog& log, Decision decision) {
    std::optional<BackupLock> lock;
    platform::UniqueFd null_in;
    try {
        // The backup has nothing to read from the provider. Without /dev/null it would
        // inherit our stdin, the SSH channel: fail closed instead, before taking the lock.
        null_in = ChildProcess::open_null_input(config.backup_command.front());
        lock = BackupLock::acquire(config.backup_lock, config.backup_wait);
    } catch (const std::system_error& error) {
        decision.reason = error.what();
        return fail(log, decision, ExitStatus::os_error);
    }
    if (!lock) {
        decision.reason = "another backup is running; try again later";
        return refuse(log, decision, ExitStatus::busy);
    }
    ChildProcess::Options options;
    options.environment = backup_environment;
    options.stdin_fd = null_in.get();
    decision.reason = "backup: " + config.backup_command.front();
    return run_allowed(config.backup_command, options, log, decision);
}

// A pull that transferred and ended with status 0 leaves a receipt. A receipt that cannot be
// written is said on stderr and to syslog; the pull itself succeeded, so the status stays 0.
void write_receipt(const ShellConfig& config, const ShellCommand& command, const Decision& decision,
                   int status) {
    if (status != 0 || config.receipts_file.empty() || !PullReceipt::transfers(command.rsync())) {
        return;
    }
    std::vector<std::string> served = PullReceipt::served(command.rsync().paths());
    if (served.empty()) {
        return; // nothing that names a tree
    }
    try {
        PullReceipt::append(
            config.receipts_file,
            PullReceipt::line(std::chrono::system_clock::now(), decision.client, status, served));
    } catch (const std::system_error& error) {
        say(std::string("receipt not written: ") + error.what());
        ::openlog("offstage-shell", LOG_PID, LOG_AUTH);
        ::syslog(LOG_ERR, "receipt not written: %s", error.what());
        ::closelog();
    }
}

int run_rsync(const ShellConfig& config, const ShellCommand& command, DecisionLog& log,
              Decision decision) {
    std::optional<StagingRoot> root;
    std::vector<std::string> argv;
    try {
        root.emplace(config.staging_root);
        argv = command.rsync_argv(config.rsync, *root);
    } catch (const Refusal& refusal) {
        decision.reason = refusal.what();
        return refuse(log, decision, ExitStatus::refused);
    } catch (const std::system_error& error) {
        decision.reason = error.what();
        return fail(log, decision, ExitStatus::os_error);
    }
    ChildProcess::Options options;
    options.environment = rsync_environment;
    options.inherit = root->pinned_descriptors();
    options.working_directory_fd = root->descriptor();
    decision.reason = "rsync pull of " + std::to_string(command.rsync().paths().size()) + " path" +
                      (command.rsync().paths().size() == 1 ? "" : "s");
    int status = run_allowed(argv, options, log, decision);
    write_receipt(config, command, decision, status);
    return status;
}

} // namespace

int ForcedShell::main(std::span<const char* const> argv) {
    Decision decision{"", DecisionLog::client_from(std::getenv("SSH_CONNECTION")), "", ""};
    // Until the config says otherwise, decisions go to syslog only.
    DecisionLog early_log("", true);

    Invocation invocation;
    try {
        invocation = Invocation::parse(argv, std::getenv("SSH_ORIGINAL_COMMAND"));
    } catch (const Refusal& refusal) {
        decision.reason = refusal.what();
        return refuse(early_log, decision, ExitStatus::refused);
    } catch (const UsageError& error) {
        decision.reason = error.what();
        return fail(early_log, decision, ExitStatus::usage_error);
    }

    if (invocation.mode == Invocation::Mode::check) {
        DeploymentCheck check(invocation.config, invocation.authorized_keys, argv[0]);
        return check.run(std::cout);
    }

    decision.command = invocation.command;
    ShellConfig config;
    try {
        config = ShellConfig::load(invocation.config);
    } catch (const platform::ConfigError& error) {
        // A bad config refuses everything; it never falls back to defaults.
        decision.reason = std::string("configuration error: ") + error.what();
        return refuse(early_log, decision, ExitStatus::config_error);
    }
    DecisionLog log(config.log_file, config.syslog);

    std::optional<ShellCommand> command;
    try {
        command = ShellCommand::parse(invocation.command);
    } catch (const Refusal& refusal) {
        decision.reason = refusal.what();
        return refuse(log, decision, ExitStatus::refused);
    }
    if (command->kind() == ShellCommand::Kind::backup) {
        return run_backup(config, log, decision);
    }
    return run_rsync(config, *command, log, decision);
}

} // namespace offstage::forced_shell
