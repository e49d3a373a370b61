#include "forced-shell/shell_config.hpp"

#include "platform/config_file.hpp"

namespace offstage::forced_shell {

ShellConfig ShellConfig::load(const std::filesystem::path& path) {
    using platform::ConfigError;
    platform::ConfigFile file = platform::ConfigFile::load(path);
    file.reject_unknown_keys(
        "shell", {"rsync", "backup_command", "log_file", "syslog", "backup_lock", "backup_wait"});
    ShellConfig config;
    if (auto root = file.absolute_path("staging", "root")) {
        config.staging_root = *root;
    }
    if (auto rsync = file.absolute_path("shell", "rsync")) {
        config.rsync = *rsync;
    }
    if (auto command = file.strings("shell", "backup_command")) {
        if (command->empty() || command->front().empty() || command->front()[0] != '/') {
            throw ConfigError(file.source_name() +
                              ": [shell] backup_command must be a non-empty argv whose first "
                              "word is an absolute path");
        }
        config.backup_command = *command;
    }
    if (auto log = file.string("shell", "log_file")) {
        if (!log->empty() && (*log)[0] != '/') {
            throw ConfigError(file.source_name() +
                              ": [shell] log_file must be an absolute path or \"\"");
        }
        config.log_file = *log;
    }
    if (auto use_syslog = file.boolean("shell", "syslog")) {
        config.syslog = *use_syslog;
    }
    if (auto lock = file.absolute_path("shell", "backup_lock")) {
        config.backup_lock = *lock;
    }
    if (auto wait = file.boolean("shell", "backup_wait")) {
        config.backup_wait = *wait;
    }
    return config;
}

} // namespace offstage::forced_shell
