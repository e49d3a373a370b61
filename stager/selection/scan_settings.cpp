#include "stager/selection/scan_settings.hpp"

#include "platform/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <sys/stat.h>
#include <system_error>

namespace offstage::selection {

ScanSettings ScanSettings::resolve(const std::filesystem::path& config_path,
                                   const Overrides& overrides) {
    ScanSettings settings;
    std::optional<std::filesystem::path> config_admindir;
    struct stat info {};
    bool missing_default = config_path == platform::ConfigFile::default_path &&
                           ::stat(config_path.c_str(), &info) != 0 && errno == ENOENT;
    if (!missing_default) {
        platform::ConfigFile config = platform::ConfigFile::load(config_path);
        config.reject_unknown_keys("scan", {"root", "admindir", "policy_dir", "filesystems"});
        if (auto root = config.absolute_path("scan", "root")) {
            settings.root = *root;
        }
        config_admindir = config.absolute_path("scan", "admindir");
        if (auto policy_dir = config.absolute_path("scan", "policy_dir")) {
            settings.policy_dir = *policy_dir;
        }
        if (auto filesystems = config.strings("scan", "filesystems")) {
            for (const std::string& mount : *filesystems) {
                if (mount.empty() || mount.front() != '/') {
                    throw platform::ConfigError(config.source_name() + ": [scan] filesystems: '" +
                                                mount + "' must be an absolute path");
                }
            }
            settings.filesystems = *filesystems;
        }
        if (auto staging = config.absolute_path("staging", "root")) {
            settings.staging_root = *staging;
        }
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
