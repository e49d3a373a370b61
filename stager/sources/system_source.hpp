// `system`: what a rebuild of the host needs, in system.tar.zst.age (docs/staging-tree.md):
// the package selections (dpkg --get-selections), the manually installed packages
// (apt-mark showmanual), the debconf selections (debconf-get-selections, when debconf-utils
// is installed; a note says so when it is not), the apt sources and the list of keyrings, the
// full scan report (every member with its reason, the conffile states, the annoying files),
// and offstage's own configuration and policy files. Every entry is generated with mtime 0, so
// an unchanged system gives the same plaintext and reuses the previous artifact.
#pragma once

#include "stager/selection/backup_selection.hpp"
#include "stager/sources/source.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::sources {

struct SystemSettings {
    std::filesystem::path root = "/";                 // the scanned root
    std::filesystem::path admindir = "/var/lib/dpkg"; // its dpkg database
    std::filesystem::path config_file;                // offstage.toml (empty: none)
    std::filesystem::path policy_dir;                 // policy.d
    std::filesystem::path dpkg = "/usr/bin/dpkg";
    std::filesystem::path apt_mark = "/usr/bin/apt-mark";
    std::filesystem::path debconf_get_selections = "/usr/bin/debconf-get-selections";
};

class SystemSource : public Source {
public:
    // `selection` outlives the source.
    SystemSource(SystemSettings settings, const selection::BackupSelection& selection);
    std::string name() const override { return "system"; }
    std::string kind() const override { return "system"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

    // The entries of the artifact, name -> content, in name order (for tests and the dry pass).
    std::vector<std::pair<std::string, std::string>> entries(report::SourceResult& result) const;

private:
    SystemSettings settings_;
    const selection::BackupSelection& selection_;
};

} // namespace offstage::sources
