#include "forced-shell/deployment_check.hpp"

#include "forced-shell/child_process.hpp"
#include "forced-shell/exit_status.hpp"
#include "forced-shell/shell_command.hpp"
#include "forced-shell/shell_config.hpp"
#include "platform/config_file.hpp"

#include <cstring>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace offstage::forced_shell {

namespace {

// The options field of an authorized_keys line (empty when the line starts with the key
// type), honouring double quotes as sshd does.
std::string options_field(const std::string& line) {
    static const char* key_types[] = {"ssh-", "ecdsa-", "sk-ssh-", "sk-ecdsa-"};
    for (const char* type : key_types) {
        if (line.rfind(type, 0) == 0) {
            return "";
        }
    }
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (line[i] == '"') {
            quoted = !quoted;
        } else if (line[i] == '\\' && quoted && i + 1 < line.size()) {
            ++i;
        } else if ((line[i] == ' ' || line[i] == '\t') && !quoted) {
            return line.substr(0, i);
        }
    }
    return line;
}

// The options, split at unquoted commas, quotes removed from values.
std::vector<std::string> split_options(const std::string& field) {
    std::vector<std::string> options;
    std::string current;
    bool quoted = false;
    for (std::size_t i = 0; i < field.size(); ++i) {
        char c = field[i];
        if (c == '"') {
            quoted = !quoted;
        } else if (c == '\\' && quoted && i + 1 < field.size()) {
            current += field[++i];
        } else if (c == ',' && !quoted) {
            options.push_back(current);
            current.clear();
        } else {
            current += c;
        }
    }
    if (!current.empty()) {
        options.push_back(current);
    }
    return options;
}

} // namespace

void DeploymentCheck::ok(std::ostream& out, const std::string& what) {
    out << "ok    " << what << '\n';
}
void DeploymentCheck::warn(std::ostream& out, const std::string& what) {
    out << "warn  " << what << '\n';
}
void DeploymentCheck::fail(std::ostream& out, const std::string& what) {
    out << "FAIL  " << what << '\n';
    failed_ = true;
}

int DeploymentCheck::run(std::ostream& out) {
    ShellConfig config;
    try {
        config = ShellConfig::load(config_);
        ok(out, "config " + config_.string() + " is valid");
    } catch (const platform::ConfigError& error) {
        fail(out, std::string("config: ") + error.what());
        return ExitStatus::config_error;
    }

    struct stat root {};
    if (::stat(config.staging_root.c_str(), &root) != 0) {
        fail(out, "staging root " + config.staging_root.string() + ": " + std::strerror(errno));
    } else if (!S_ISDIR(root.st_mode)) {
        fail(out, "staging root " + config.staging_root.string() + " is not a directory");
    } else {
        ok(out, "staging root " + config.staging_root.string() + " exists");
        if (::geteuid() == 0) {
            warn(out, "running as root: run --check as the login user to see what it can write");
        } else if (::access(config.staging_root.c_str(), W_OK) == 0) {
            fail(out, "staging root " + config.staging_root.string() +
                          " is writable by this user (uid " + std::to_string(::geteuid()) +
                          "): the pull user must only read it");
        } else {
            ok(out, "staging root is not writable by this user (uid " +
                        std::to_string(::geteuid()) + ")");
        }
        if ((root.st_mode & S_IWOTH) != 0) {
            fail(out, "staging root is world-writable");
        }
        if (::access(config.staging_root.c_str(), R_OK | X_OK) != 0 && ::geteuid() != 0) {
            fail(out, "staging root is not readable by this user");
        }
    }

    if (::access(config.rsync.c_str(), X_OK) != 0) {
        fail(out, "rsync " + config.rsync.string() + ": " + std::strerror(errno));
    } else {
        ChildProcess::Options options;
        options.environment = {"PATH=/usr/bin:/bin", "HOME=/nonexistent"};
        try {
            auto version = ChildProcess::capture({config.rsync.string(), "--version"}, options);
            std::string first = version.out.substr(0, version.out.find('\n'));
            ok(out, "rsync " + config.rsync.string() + ": " + first);
            auto help = ChildProcess::capture({config.rsync.string(), "--help"}, options);
            if (help.out.find("--confine-root") != std::string::npos) {
                ok(out, "rsync supports --confine-root (offstage-shell always passes it)");
            } else {
                fail(out, "rsync lacks --confine-root (rsync " +
                              std::string(ShellCommand::minimum_rsync_version) +
                              " or later is needed): every pull would fail");
            }
        } catch (const std::system_error& error) {
            fail(out, std::string("rsync: ") + error.what());
        }
    }

    const std::string& backup = config.backup_command.front();
    if (::access(backup.c_str(), X_OK) != 0) {
        fail(out, "backup_command " + backup + ": " + std::strerror(errno));
    } else {
        ok(out, "backup_command " + backup + " is executable");
    }

    if (config.log_file.empty()) {
        warn(out, "no log_file: decisions go to syslog only");
    } else if (::access(config.log_file.parent_path().c_str(), W_OK) != 0 &&
               ::access(config.log_file.c_str(), W_OK) != 0) {
        warn(out, "log_file " + config.log_file.string() + " is not writable by this user");
    } else {
        ok(out, "log_file " + config.log_file.string() + " is writable");
    }
    // The shell never creates the receipts file (the deployment does, group-writable): a
    // missing one means no receipts, and every tree will read as not pulled.
    if (config.receipts_file.empty()) {
        warn(out, "no receipts_file: offstage cannot tell whether the newest tree was pulled");
    } else if (::access(config.receipts_file.c_str(), W_OK) != 0) {
        warn(out, "receipts_file " + config.receipts_file.string() +
                      " is missing or not writable by this user: no pull leaves a receipt");
    } else {
        ok(out, "receipts_file " + config.receipts_file.string() + " is writable");
    }
    if (::access(config.backup_lock.parent_path().c_str(), F_OK) != 0) {
        warn(out, "backup_lock directory " + config.backup_lock.parent_path().string() +
                      " does not exist");
    }

    if (keys_) {
        check_authorized_keys(out);
    }
    return failed_ ? ExitStatus::config_error : ExitStatus::success;
}

void DeploymentCheck::check_authorized_keys(std::ostream& out) {
    std::ifstream in(*keys_);
    if (!in) {
        fail(out, "authorized_keys " + keys_->string() + ": " + std::strerror(errno));
        return;
    }
    std::string line;
    int number = 0;
    int ours = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string where = keys_->string() + ":" + std::to_string(number);
        if (line.empty() || line[0] == '#') {
            continue;
        }
        bool restricted = false;
        std::string command;
        for (const std::string& option : split_options(options_field(line))) {
            if (option == "restrict") {
                restricted = true;
            } else if (option.rfind("command=", 0) == 0) {
                command = option.substr(8);
            }
        }
        if (command.empty()) {
            fail(out, where + ": key without command=\"...\": it gets a full login");
            continue;
        }
        std::string program = command.substr(0, command.find(' '));
        if (program != self_.string() && !program.ends_with("/offstage-shell") &&
            program != "offstage-shell") {
            warn(out, where + ": forced command is not offstage-shell: " + program);
            continue;
        }
        ++ours;
        if (!restricted) {
            fail(out, where + ": offstage-shell key without 'restrict' (port, agent and X11 "
                              "forwarding and a pty stay open)");
        } else {
            ok(out, where + ": restrict,command=\"" + command + "\"");
        }
        std::size_t config_at = command.find("--config");
        if (config_at != std::string::npos) {
            std::string rest = command.substr(config_at + 8);
            if (!rest.empty() && (rest[0] == ' ' || rest[0] == '=')) {
                rest = rest.substr(1);
            }
            std::string named = rest.substr(0, rest.find(' '));
            if (named != config_.string()) {
                warn(out, where + ": the key's command uses config " + named + ", not " +
                              config_.string());
            }
        }
    }
    if (ours == 0) {
        fail(out, keys_->string() + ": no key line runs offstage-shell");
    }
}

} // namespace offstage::forced_shell
