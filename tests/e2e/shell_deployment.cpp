#include "tests/e2e/shell_deployment.hpp"

#include "tests/e2e/sample_staging_tree.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <sstream>
#include <stdexcept>

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

// A POSIX shell single-quoted word (for the stand-in backup script only).
std::string shell_quoted(const std::string& text) {
    std::string quoted = "'";
    for (char c : text) {
        quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
    }
    return quoted + "'";
}

} // namespace

ShellDeployment::ShellDeployment(const fs::path& directory, Options options)
    : directory_(directory) {
    if (!fs::exists(options.shell_program)) {
        throw std::runtime_error("ShellDeployment: no offstage-shell at " +
                                 options.shell_program.string() + " (is it built?)");
    }
    SampleStagingTree::write(staging_root(), outside());
    fs::create_directories(shell_log().parent_path());
    fs::create_directories(directory_ / "run");
    fs::create_directories(directory_ / "sshd");
    write_config({backup_script().string()});
    write_script(options);

    SshdServer::Options sshd_options;
    sshd_options.directory = directory_ / "sshd";
    sshd_options.forced_command =
        fs::absolute(options.shell_program).string() + " --config " + config_file().string();
    sshd_options.login_user = options.login_user;
    sshd_ = std::make_unique<SshdServer>(sshd_options);
}

ShellDeployment::~ShellDeployment() = default;

void ShellDeployment::write_config(const std::vector<std::string>& backup_command) const {
    std::string command_array;
    for (const std::string& word : backup_command) {
        command_array += (command_array.empty() ? "" : ", ") + toml_string(word);
    }
    std::ostringstream config;
    config << "# offstage-shell configuration of an end-to-end test deployment\n"
           << "[staging]\n"
           << "root = " << toml_string(staging_root().string()) << "\n"
           << "\n[shell]\n"
           << "rsync = " << toml_string(rsync_program) << "\n"
           << "backup_command = [" << command_array << "]\n"
           << "log_file = " << toml_string(shell_log().string()) << "\n"
           << "syslog = false\n"
           << "backup_lock = " << toml_string((directory_ / "run" / "backup.lock").string()) << "\n"
           << "backup_wait = false\n";
    test::write_file(config_file(), config.str());
}

void ShellDeployment::write_script(const Options& options) const {
    std::ostringstream script;
    script << "#!/bin/sh\n"
           << "# Stands in for `offstage run` behind the forced shell's `backup`.\n"
           << "echo \"backup: staged " << SampleStagingTree::day
           << " (stand-in for offstage run)\"\n"
           << "echo \"backup: a note on stderr, from uid $(id -u), arguments: $*\" >&2\n"
           << "if [ -e " << shell_quoted(backup_hold().string()) << " ]; then\n"
           << "    : > " << shell_quoted(backup_started().string()) << "\n"
           << "    while [ ! -e " << shell_quoted(backup_release().string())
           << " ]; do sleep 0.05; done\n"
           << "fi\n"
           << "exit " << options.backup_exit_status << "\n";
    test::write_file(backup_script(), script.str(), fs::perms(0755));
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
