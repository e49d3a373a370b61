// The forced shell's settings: [staging] root and the [shell] section of offstage.toml. Loading
// is strict: an unknown [shell] key, a wrong type or a relative path is a ConfigError, never a
// default, because a mistyped security setting must refuse rather than allow.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::forced_shell {

struct ShellConfig {
    std::filesystem::path staging_root = "/srv/offstage";
    std::filesystem::path rsync = "/usr/bin/rsync";
    std::vector<std::string> backup_command = {"/usr/bin/sudo", "-n", "/usr/sbin/offstage", "run"};
    std::filesystem::path log_file = "/var/log/offstage/shell.log"; // empty: no log file
    bool syslog = true;
    std::filesystem::path backup_lock = "/run/offstage/backup.lock";
    bool backup_wait = false;

    // Reads `path`; absent keys keep the defaults above (the values of the shipped file).
    // Throws platform::ConfigError naming the file (and key) when the file is missing,
    // unreadable or invalid.
    static ShellConfig load(const std::filesystem::path& path);
};

} // namespace offstage::forced_shell
