#include "platform/config_file.hpp"
#include "stager/selection/scan_settings.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace offstage::selection {
namespace {

TEST(ScanSettings, ReadsScanAndStagingSectionsAndAppliesOverrides) {
    test::TempDir dir;
    std::filesystem::path config = test::write_file(
        dir / "offstage.toml", "[staging]\nroot = \"/srv/stage\"\n"
                               "[scan]\nroot = \"/mnt/host\"\nadmindir = \"/mnt/host/dpkg\"\n"
                               "policy_dir = \"/etc/p\"\nfilesystems = [\"/home\"]\n");
    ScanSettings settings = ScanSettings::resolve(platform::ConfigFile::load(config), {});
    EXPECT_EQ(settings.root, "/mnt/host");
    EXPECT_EQ(settings.admindir, "/mnt/host/dpkg");
    EXPECT_EQ(settings.policy_dir, "/etc/p");
    EXPECT_EQ(settings.filesystems, std::vector<std::string>{"/home"});
    EXPECT_EQ(settings.staging_root, "/srv/stage");

    // --root alone: the database is that root's own, not the configured one.
    ScanSettings::Overrides root_only;
    root_only.root = "/tmp/other";
    settings = ScanSettings::resolve(platform::ConfigFile::load(config), root_only);
    EXPECT_EQ(settings.root, "/tmp/other");
    EXPECT_EQ(settings.admindir, "/tmp/other/var/lib/dpkg");

    ScanSettings::Overrides all;
    all.root = "/r";
    all.admindir = "/a";
    all.policy_dir = "/p";
    settings = ScanSettings::resolve(platform::ConfigFile::load(config), all);
    EXPECT_EQ(settings.admindir, "/a");
    EXPECT_EQ(settings.policy_dir, "/p");
}

TEST(ScanSettings, DefaultsWithoutAConfigSection) {
    test::TempDir dir;
    std::filesystem::path config = test::write_file(dir / "offstage.toml", "[shell]\n");
    ScanSettings settings = ScanSettings::resolve(platform::ConfigFile::load(config), {});
    EXPECT_EQ(settings.root, "/");
    EXPECT_EQ(settings.admindir, "/var/lib/dpkg");
    EXPECT_EQ(settings.policy_dir, "/etc/offstage/policy.d");
    EXPECT_EQ(settings.staging_root, "/srv/offstage");
}

TEST(ScanSettings, RejectsUnknownKeysBadTypesAndMissingExplicitFiles) {
    test::TempDir dir;
    auto error_of = [&dir](const std::string& text) {
        std::filesystem::path config = test::write_file(dir / "offstage.toml", text);
        try {
            ScanSettings::resolve(platform::ConfigFile::load(config), {});
        } catch (const platform::ConfigError& error) {
            return std::string(error.what());
        }
        return std::string("no error");
    };
    std::string file = (dir / "offstage.toml").string();
    std::string unknown = error_of("[scan]\nrot = \"/\"\n");
    EXPECT_EQ(unknown.rfind(file + ":2:", 0), 0u) << unknown;
    EXPECT_NE(unknown.find("[scan] unknown key 'rot'"), std::string::npos) << unknown;
    EXPECT_NE(error_of("[scan]\nroot = \"relative\"\n").find("must be an absolute path"),
              std::string::npos);
    EXPECT_NE(error_of("[scan]\nfilesystems = \"/home\"\n").find("array of strings"),
              std::string::npos);
    EXPECT_NE(error_of("[scan]\nfilesystems = [\"home\"]\n").find("absolute"), std::string::npos);
    EXPECT_THROW(ScanSettings::resolve(platform::ConfigFile::load(dir / "missing.toml"), {}),
                 platform::ConfigError);
}

TEST(ScanSettings, AMissingOrBadPolicyDirectoryIsAConfigError) {
    test::TempDir dir;
    ScanSettings settings;
    settings.policy_dir = dir / "none";
    EXPECT_THROW(settings.load_policies(), platform::ConfigError);
    test::write_file(dir / "p/10-bad.policy", "exclude /tmp/\nfrobnicate /x\n");
    settings.policy_dir = dir / "p";
    try {
        settings.load_policies();
        FAIL() << "expected an error";
    } catch (const platform::ConfigError& error) {
        EXPECT_NE(std::string(error.what()).find("10-bad.policy:2:"), std::string::npos)
            << error.what();
    }
}

} // namespace
} // namespace offstage::selection
