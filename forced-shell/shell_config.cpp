#include "forced-shell/shell_config.hpp"

#include "platform/config_file.hpp"

namespace offstage::forced_shell {

ShellConfig ShellConfig::load(const std::filesystem::path& path) {
    // The whole file is checked against offstage.toml's key table here, every section (not
    // only what the shell reads), so that the shell and `offstage` agree on which files are
    // valid; types, ranges and absolute paths are the table's job too.
    platform::ConfigFile file = platform::ConfigFile::load(path);
    ShellConfig config;
    if (auto root = file.section("staging").path("root")) {
        config.staging_root = *root;
    }
    platform::ConfigTable shell = file.section("shell");
    if (auto rsync = shell.path("rsync")) {
        config.rsync = *rsync;
    }
    if (auto command = shell.strings("backup_command")) {
        config.backup_command = *command;
    }
    if (auto log = shell.path("log_file")) {
        config.log_file = *log;
    }
    if (auto use_syslog = shell.boolean("syslog")) {
        config.syslog = *use_syslog;
    }
    if (auto lock = shell.path("backup_lock")) {
        config.backup_lock = *lock;
    }
    if (auto wait = shell.boolean("backup_wait")) {
        config.backup_wait = *wait;
    }
    if (auto receipts = shell.path("receipts_file")) {
        config.receipts_file = *receipts;
    }
    return config;
}

} // namespace offstage::forced_shell
