#include "tests/e2e/shell_deployment.hpp"

#include "tests/e2e/sample_staging_tree.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace offstage::e2e {

namespace {

namespace fs = std::filesystem;

constexpr std::chrono::seconds client_timeout{60};

// A TOML basic string.
std::string toml_string(const std::string& text) {
    std::string quoted = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') {
            quoted.push_back('\\');
        }
        quoted.push_back(c);
    }
    return quoted + "\"";
}

// A POSIX shell single-quoted word (for the sendmail capture script).
std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

std::string describe(const std::vector<std::string>& argv, const test::CommandResult& result) {
    std::string command;
    for (const std::string& word : argv) {
        command += (command.empty() ? "" : " ") + word;
    }
    return command + ": exit status " + std::to_string(result.exit_status) + ": " + result.out +
           result.err;
}

} // namespace

ShellDeployment::ShellDeployment(const fs::path& directory, Options options)
    : directory_(directory)
    , options_(std::move(options)) {
    for (const fs::path& program : {options_.shell_program, options_.offstage_program}) {
        if (!fs::exists(program)) {
            throw std::runtime_error("ShellDeployment: no program at " + program.string() +
                                     " (is it built?)");
        }
    }
    options_.shell_program = fs::absolute(options_.shell_program);
    options_.offstage_program = fs::absolute(options_.offstage_program);
    fs::create_directories(staging_root());
    if (options_.sample_tree) {
        SampleStagingTree::write(staging_root(), outside());
    }
    fs::create_directories(shell_log().parent_path());
    test::write_file(receipts_file(), "", fs::perms(0622)); // any pull user may append
    fs::create_directories(metrics_file().parent_path());
    fs::create_directories(run_lock().parent_path());
    fs::create_directories(directory_ / "sshd");
    fs::create_directories(last_mail().parent_path());

    // The admins' key pair, made as the docs say: `offstage key generate` prints the recipient.
    fs::create_directories(identity().parent_path());
    fs::permissions(identity().parent_path(), fs::perms(0700));
    const std::vector<std::string> generate{options_.offstage_program.string(), "key", "generate",
                                            "-o", identity().string()};
    const test::CommandResult made = test::run_command(generate);
    if (made.exit_status != 0) {
        throw std::runtime_error("ShellDeployment: " + describe(generate, made));
    }
    recipient_ = made.out.substr(0, made.out.find('\n'));

    // A spool like the seed's spamd queue: a few messages, guarded by a lock file.
    test::write_file(spool_directory() / "new" / "1732250000.M1.host",
                     "From: a@example.org\n\nhello\n");
    test::write_file(spool_directory() / "new" / "1732250001.M2.host",
                     "From: b@example.org\n\nbye\n");
    test::write_file(spool_lock(), "");

    write_sendmail_capture();
    write_config(run_argv());

    SshdServer::Options sshd_options;
    sshd_options.directory = directory_ / "sshd";
    sshd_options.forced_command =
        options_.shell_program.string() + " --config " + config_file().string();
    sshd_options.login_user = options_.login_user;
    sshd_ = std::make_unique<SshdServer>(sshd_options);
}

ShellDeployment::~ShellDeployment() = default;

std::vector<std::string> ShellDeployment::run_argv(const std::optional<std::string>& day) const {
    std::vector<std::string> argv{options_.offstage_program.string(), "--config",
                                  run_config().string(), "run"};
    if (day) {
        argv.insert(argv.end(), {"--day", *day});
    }
    return argv;
}

void ShellDeployment::write_config(const std::vector<std::string>& backup_command,
                                   int spool_lock_timeout_seconds) const {
    std::string command_array;
    for (const std::string& word : backup_command) {
        command_array += (command_array.empty() ? "" : ", ") + toml_string(word);
    }
    const auto path = [](const fs::path& value) { return toml_string(value.string()); };
    std::ostringstream shell;
    shell << "# offstage-shell's configuration of an end-to-end test deployment\n"
          << "[staging]\n"
          << "root = " << path(staging_root()) << "\n"
          << "\n[shell]\n"
          << "rsync = " << toml_string(rsync_program) << "\n"
          << "backup_command = [" << command_array << "]\n"
          << "log_file = " << path(shell_log()) << "\n"
          << "syslog = false\n"
          << "backup_lock = " << path(backup_lock()) << "\n"
          << "backup_wait = false\n"
          << "receipts_file = " << path(receipts_file()) << "\n";
    test::write_file(config_file(), shell.str());

    std::ostringstream run;
    run << "# offstage run's configuration of an end-to-end test deployment\n"
        << "[staging]\n"
        << "root = " << path(staging_root()) << "\n"
        << "signing_key = " << path(signing_key())
        << "\n"
        // Room for every day a test stages next to the sample tree's day.
        << "keep = 7\n";
    if (!options_.pull_group.empty()) {
        run << "group = " << toml_string(options_.pull_group) << "\n";
    }
    run << "\n[run]\n"
        << "lock = " << path(run_lock()) << "\n"
        << "lock_wait = 1\n"
        << "state_dir = " << path(state_dir()) << "\n"
        << "\n[catalog]\n"
        << "path = " << path(state_dir() / "catalog.sqlite") << "\n"
        << "\n[shell]\n"
        << "receipts_file = " << path(receipts_file()) << "\n"
        << "\n[status]\n"
        << "html_dir = " << path(status_page_dir()) << "\n"
        << "metrics_file = " << path(metrics_file()) << "\n"
        << "\n[scan]\n"
        << "root = " << path(options_.scan.root) << "\n"
        << "admindir = " << path(options_.scan.admindir) << "\n"
        << "policy_dir = " << path(options_.scan.policy_dir) << "\n"
        << "\n[encryption]\n"
        << "recipients = [" << toml_string(recipient_) << "]\n"
        << "\n[mail]\n"
        << "recipients = [\"root\"]\n"
        << "send = " << toml_string(options_.mail_send) << "\n"
        << "sendmail = " << path(sendmail_capture()) << "\n"
        << "\n[[spool]]\n"
        << "name = " << toml_string(spool_name) << "\n"
        << "directory = " << path(spool_directory()) << "\n"
        << "lock_file = " << path(spool_lock()) << "\n"
        << "lock_timeout = " << spool_lock_timeout_seconds << "\n";
    test::write_file(run_config(), run.str());
}

void ShellDeployment::write_sendmail_capture() const {
    // A test double of the MTA's sendmail interface only (the run's real sendmail path is
    // tested against exim in tests/mail): it keeps what `sendmail -t -oi` would have sent.
    const std::string kept = shell_quoted(last_mail().string());
    const std::string partial = shell_quoted(last_mail().string() + ".part");
    std::ostringstream script;
    script << "#!/bin/sh\n"
           << "# Keeps the message offstage run hands to sendmail -t -oi (on stdin) in a file.\n"
           << "umask 077\n"
           << "/bin/cat > " << partial << " && /bin/mv -f " << partial << " " << kept << "\n";
    test::write_file(sendmail_capture(), script.str(), fs::perms(0755));
}

test::CommandResult ShellDeployment::offstage(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{options_.offstage_program.string(), "--config",
                                  run_config().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::CommandOptions options;
    options.timeout = client_timeout;
    return test::run_command(argv, options);
}

fs::path ShellDeployment::write_signing_public_key(const fs::path& path) const {
    const std::vector<std::string> argv{options_.offstage_program.string(), "key", "signing",
                                        "--key", signing_key().string()};
    const test::CommandResult key = test::run_command(argv);
    if (key.exit_status != 0) {
        throw std::runtime_error("ShellDeployment: " + describe(argv, key));
    }
    return test::write_file(path, key.out);
}

test::CommandResult ShellDeployment::ssh(const std::string& remote_command) const {
    std::vector<std::string> argv = sshd_->ssh_argv();
    argv.push_back(sshd_->destination());
    argv.push_back(remote_command);
    test::CommandOptions options;
    options.timeout = client_timeout;
    return test::run_command(argv, options);
}

test::CommandResult ShellDeployment::rsync(const std::vector<std::string>& args) const {
    std::vector<std::string> argv{rsync_program, "-e", sshd_->ssh_command_line()};
    argv.insert(argv.end(), args.begin(), args.end());
    test::CommandOptions options;
    options.timeout = client_timeout;
    return test::run_command(argv, options);
}

} // namespace offstage::e2e
