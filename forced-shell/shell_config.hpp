// The forced shell's settings: [staging] root and the [shell] section of offstage.toml. Loading
// is strict: the whole file is checked against offstage.toml's key table (platform/
// config_schema.hpp), so an unknown section or key, a wrong type or a relative path anywhere is
// a ConfigError, never a default: a mistyped security setting must refuse rather than allow.
#pragma once

#include "platform/staging_layout.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::forced_shell {

struct ShellConfig {
    std::filesystem::path staging_root{platform::staging_layout::default_staging_root};
    std::filesystem::path rsync = "/usr/bin/rsync";
    std::vector<std::string> backup_command = {"/usr/bin/sudo", "-n", "/usr/sbin/offstage", "run"};
    std::filesystem::path log_file = "/var/log/offstage/shell.log"; // empty: no log file
    bool syslog = true;
    std::filesystem::path backup_lock{platform::staging_layout::default_backup_lock};
    bool backup_wait = false;
    // A receipt per successful pull (pull_receipt.hpp); empty: none.
    std::filesystem::path receipts_file{platform::staging_layout::default_receipts_file};

    // Reads `path`; absent keys keep the defaults above (the values of the shipped file).
    // Throws platform::ConfigError naming the file (and FILE:LINE:COL) when the file is
    // missing, not a regular file, unreadable or invalid.
    static ShellConfig load(const std::filesystem::path& path);
};

} // namespace offstage::forced_shell
