#include "stager/selection/scan_settings.hpp"

#include "platform/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <system_error>

namespace offstage::selection {

ScanSettings ScanSettings::resolve(const platform::ConfigFile& config, const Overrides& overrides) {
    ScanSettings settings;
    platform::ConfigTable scan = config.section("scan");
    if (auto root = scan.path("root")) {
        settings.root = *root;
    }
    std::optional<std::filesystem::path> config_admindir = scan.path("admindir");
    if (auto policy_dir = scan.path("policy_dir")) {
        settings.policy_dir = *policy_dir;
    }
    if (auto filesystems = scan.strings("filesystems")) {
        settings.filesystems = *filesystems;
    }
    if (auto runs = scan.integer("stale_rule_runs")) {
        settings.stale_rule_runs = static_cast<std::size_t>(*runs);
    }
    if (auto staging = config.section("staging").path("root")) {
        settings.staging_root = *staging;
    }
    if (overrides.root) {
        settings.root = *overrides.root;
    }
    if (overrides.policy_dir) {
        settings.policy_dir = *overrides.policy_dir;
    }
    if (overrides.admindir) {
        settings.admindir = *overrides.admindir;
    } else if (config_admindir && !overrides.root) {
        settings.admindir = *config_admindir;
    } else {
        // The database that describes the root being scanned.
        settings.admindir = settings.root / "var/lib/dpkg";
    }
    return settings;
}

policies::PolicySet ScanSettings::load_policies() const {
    struct stat info {};
    if (::stat(policy_dir.c_str(), &info) != 0) {
        throw platform::ConfigError("policy directory " + policy_dir.string() + ": " +
                                    std::strerror(errno));
    }
    if (!S_ISDIR(info.st_mode)) {
        throw platform::ConfigError("policy directory " + policy_dir.string() +
                                    ": not a directory");
    }
    try {
        return policies::PolicySet::load_directory(policy_dir);
    } catch (const policies::PolicyError& error) {
        throw platform::ConfigError(error.what());
    } catch (const std::system_error& error) {
        throw platform::ConfigError(error.what());
    }
}

SelectionInput ScanSettings::selection_input() const {
    SelectionInput input;
    input.database.root = root;
    input.database.admindir = admindir;
    input.filesystems = filesystems;
    input.skip_directories = {staging_root};
    return input;
}

} // namespace offstage::selection
