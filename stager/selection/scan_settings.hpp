// Where a scan looks: the root, the dpkg database, the policy directory, the extra filesystems
// and the staging root to leave out, from the command line over offstage.toml over defaults.
// The file was checked against the key table when it was loaded (types, absolute paths,
// unknown keys: platform/config_table.cpp); this only chooses among the values.
#pragma once

#include "platform/config_file.hpp"
#include "platform/staging_layout.hpp"
#include "stager/selection/backup_selection.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::selection {

struct ScanSettings {
    std::filesystem::path root = "/";
    std::filesystem::path admindir; // default ROOT/var/lib/dpkg
    std::filesystem::path policy_dir = "/etc/offstage/policy.d";
    std::vector<std::string> filesystems; // [scan] filesystems
    std::filesystem::path staging_root{
        platform::staging_layout::default_staging_root}; // [staging] root
    // [scan] stale_rule_runs: a rule that matched nothing in this many scans in a row is stale.
    std::size_t stale_rule_runs = 30;

    struct Overrides {
        std::optional<std::filesystem::path> root, admindir, policy_dir;
    };
    // [scan] and [staging] root of `config`, with the command line's overrides over them.
    // When only --root is given, the database is ROOT's own.
    static ScanSettings resolve(const platform::ConfigFile& config, const Overrides& overrides);

    SelectionInput selection_input() const;

    // The rules of policy_dir. A missing directory, an unreadable file or a bad line is a
    // platform::ConfigError ("FILE:LINE:COL: ..."): the scan must not run on half a policy.
    policies::PolicySet load_policies() const;
};

} // namespace offstage::selection
