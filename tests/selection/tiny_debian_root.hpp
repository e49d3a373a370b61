// A temp root with a real dpkg database: tiny .deb packages built with dpkg-deb and installed
// with dpkg (conffiles, one with a space; a diversion made by a preinst; a file made by a
// postinst; a Multi-Arch: same library for two architectures; a package removed but not
// purged; a local diversion), an alternative (update-alternatives) and a ucf-registered file
// (ucfr), then an admin's changes (a modified conffile, a deleted one, files
// no package ships), and a policy directory. Built once per test program.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::test {

class TinyDebianRoot {
public:
    // Builds it (a few seconds); throws std::runtime_error with the failing command's output.
    TinyDebianRoot();

    std::filesystem::path root() const { return dir_ / "root"; }
    std::filesystem::path admindir() const { return root() / "var/lib/dpkg"; }
    std::filesystem::path policy_dir() const { return dir_ / "policy.d"; }
    std::filesystem::path policy_file() const { return policy_dir() / "10-test.policy"; }
    const std::string& native_arch() const { return native_arch_; }
    const std::string& foreign_arch() const { return foreign_arch_; }

    // The backup set the scan must find, as "REASON PATH" in byte order of paths.
    static std::vector<std::string> expected_members();
    // The conffile states, as "STATE PATH".
    static std::vector<std::string> expected_conffiles();

    // One instance per test program.
    static const TinyDebianRoot& shared();

private:
    TempDir dir_{"offstage-tiny-root"};
    std::string native_arch_;
    std::string foreign_arch_;
};

} // namespace offstage::test
