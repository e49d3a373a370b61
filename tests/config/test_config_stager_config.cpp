// stager/config: what only the stager checks in offstage.toml (the age recipients of
// [encryption], its recipients_file) and the [archive] settings with the command line over them.
#include "platform/config_limits.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/identity.hpp"
#include "stager/config/stager_config.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <string>

namespace offstage::config {
namespace {

namespace fs = std::filesystem;

class StagerConfigTest : public ::testing::Test {
protected:
    // The ConfigError loading `text` throws, or "loaded".
    std::string error_of(const std::string& text) {
        fs::path file = test::write_file(config_, text);
        try {
            StagerConfig::load(file);
        } catch (const platform::ConfigError& error) {
            return error.what();
        }
        return "loaded";
    }

    test::TempDir dir_;
    fs::path config_ = dir_ / "offstage.toml";
    age::X25519Identity identity_ = age::X25519Identity::generate();
    std::string recipient_ = identity_.recipient().to_string();
    age::X25519Identity other_ = age::X25519Identity::generate();
};

TEST_F(StagerConfigTest, RecipientsComeFromTheListAndTheFile) {
    fs::path file = test::write_file(dir_ / "escrow.txt",
                                     "# escrow\n\n" + other_.recipient().to_string() + "\n");
    test::write_file(config_, "[encryption]\nrecipients = [\"" + recipient_ +
                                  "\"]\nrecipients_file = \"" + file.string() + "\"\n");
    StagerConfig config = StagerConfig::load(config_);
    EXPECT_EQ(config.recipients(),
              (std::vector<age::X25519Recipient>{identity_.recipient(), other_.recipient()}));
    // The command line's recipients replace them; a bad one is the command line's error.
    EXPECT_EQ(config.recipients_or({other_.recipient().to_string()}, {}),
              std::vector<age::X25519Recipient>{other_.recipient()});
    EXPECT_EQ(config.recipients_or({}, {}), config.recipients());
    EXPECT_THROW(config.recipients_or({"age1nope"}, {}), age::AgeError);
    test::write_file(config_, "[encryption]\nrecipients_file = \"\"\n");
    EXPECT_TRUE(StagerConfig::load(config_).recipients().empty());
}

TEST_F(StagerConfigTest, ABadRecipientInTheListNamesItsElement) {
    EXPECT_EQ(
        error_of("[encryption]\nrecipients = [\n  \"" + recipient_ + "\",\n  \"age1nope\",\n]\n"),
        config_.string() + ":4:3: [encryption] recipients: \"age1nope\" is not a valid age "
                           "recipient (bad Bech32 or checksum)");
    // A secret key where a recipient belongs: refused, and never echoed.
    const std::string secret = identity_.to_string();
    std::string message = error_of("[encryption]\nrecipients = [\"" + secret + "\"]\n");
    EXPECT_EQ(message,
              config_.string() +
                  ":2:15: [encryption] recipients holds a secret key (AGE-SECRET-KEY-...), "
                  "not a recipient: remove it from this file and give its public key "
                  "(offstage key recipient)");
    EXPECT_EQ(message.find(secret.substr(15, 10)), std::string::npos);
}

TEST_F(StagerConfigTest, ABadRecipientsFileIsAnErrorAtItsPlace) {
    const std::string key_place = config_.string() + ":2:19: [encryption] recipients_file";
    EXPECT_EQ(
        error_of("[encryption]\nrecipients_file = \"" + (dir_ / "none.txt").string() + "\"\n"),
        key_place + ": " + (dir_ / "none.txt").string() + ": No such file or directory");
    EXPECT_EQ(error_of("[encryption]\nrecipients_file = \"" + dir_.path().string() + "\"\n"),
              key_place + ": " + dir_.path().string() + " is not a regular file");
    EXPECT_EQ(error_of("[encryption]\nrecipients_file = \"escrow.txt\"\n"),
              key_place + " must be an absolute path, or \"\" for none, not \"escrow.txt\"");

    fs::path file = test::write_file(dir_ / "escrow.txt",
                                     "# escrow\n" + recipient_ + "\nAGE-SECRET-KEY-1QQQ\n");
    EXPECT_EQ(error_of("[encryption]\nrecipients_file = \"" + file.string() + "\"\n"),
              file.string() +
                  ":3: \"AGE-SECRET-K...\" is not a valid age recipient (bad Bech32 "
                  "or checksum) (the file of [encryption] recipients_file, " +
                  config_.string() + ":2:19)");
    test::write_file(file, "# nothing but comments\n");
    EXPECT_EQ(error_of("[encryption]\nrecipients_file = \"" + file.string() + "\"\n"),
              file.string() +
                  ": no recipient in the file (the file of [encryption] "
                  "recipients_file, " +
                  config_.string() + ":2:19)");
}

TEST_F(StagerConfigTest, CompressionIsTheFileWithTheCommandLineOverIt) {
    const int all_cpus = std::min(platform::usable_cpus(), platform::thread_limit());
    test::write_file(config_, "");
    archive::CompressionSettings defaults = StagerConfig::load(config_).compression();
    EXPECT_TRUE(defaults.zstd);
    EXPECT_EQ(defaults.level, 3);
    EXPECT_EQ(defaults.threads, all_cpus) << "0 is one per usable CPU";

    test::write_file(config_, "[archive]\ncompression = \"none\"\nlevel = 9\nthreads = 1\n");
    StagerConfig config = StagerConfig::load(config_);
    archive::CompressionSettings configured = config.compression();
    EXPECT_FALSE(configured.zstd);
    EXPECT_EQ(configured.level, 9);
    EXPECT_EQ(configured.threads, 1);
    archive::CompressionSettings chosen =
        config.compression({.zstd = true, .level = 12, .threads = 0});
    EXPECT_TRUE(chosen.zstd);
    EXPECT_EQ(chosen.level, 12);
    EXPECT_EQ(chosen.threads, all_cpus);
    EXPECT_THROW(config.compression({.threads = platform::thread_limit() + 1}),
                 std::invalid_argument);
}

TEST_F(StagerConfigTest, TheWholeFileIsCheckedWhateverTheStagerReads) {
    EXPECT_EQ(error_of("[shell]\nrsync = \"rsync\"\n"),
              config_.string() + ":2:9: [shell] rsync must be an absolute path, not \"rsync\"");
    EXPECT_EQ(error_of("[encryption]\nrecipient_file = \"/etc/escrow\"\n"),
              config_.string() + ":2:1: [encryption] unknown key 'recipient_file'");
    EXPECT_THROW(StagerConfig::load(dir_ / "missing.toml"), platform::ConfigError);
}

// [staging] file_mode and directory_mode: octal strings for the published trees; anything that
// opens a tree to others, lets the pull user's group write, sets a special bit or takes the
// owner's access is an error naming the key's place.
TEST_F(StagerConfigTest, PublishedModesAreCheckedAtTheirPlace) {
    auto settings_of = [&](const std::string& staging) {
        fs::path file = test::write_file(config_, "[staging]\n" + staging + "[encryption]\n" +
                                                      "recipients = [\"" + recipient_ + "\"]\n");
        return StagerConfig::load(file).run_settings(file);
    };
    auto error_of_modes = [&](const std::string& staging) -> std::string {
        try {
            settings_of(staging);
        } catch (const platform::ConfigError& error) {
            return error.what();
        }
        return "loaded";
    };
    run::RunSettings defaults = settings_of("");
    EXPECT_EQ(defaults.pull.file_mode, 0640u);
    EXPECT_EQ(defaults.pull.directory_mode, 0750u);
    run::RunSettings strict = settings_of("file_mode = \"0600\"\ndirectory_mode = \"710\"\n");
    EXPECT_EQ(strict.pull.file_mode, 0600u);
    EXPECT_EQ(strict.pull.directory_mode, 0710u);

    std::string at = config_.string() + ":2:13: [staging] file_mode ";
    EXPECT_EQ(error_of_modes("file_mode = \"0644\"\n"),
              at + "\"0644\" gives others access: nothing may be world-readable, -writable or "
                   "-executable");
    EXPECT_EQ(error_of_modes("file_mode = \"0660\"\n"),
              at + "\"0660\" lets the group write: the pull user may write nothing");
    EXPECT_EQ(error_of_modes("file_mode = \"0440\"\n"),
              at + "\"0440\" takes from the owner (root) what it needs: at least rw (0600)");
    EXPECT_EQ(error_of_modes("file_mode = \"2640\"\n"),
              at + "\"2640\" sets a setuid, setgid or sticky bit");
    EXPECT_EQ(error_of_modes("file_mode = \"rw-r-----\"\n"),
              at + "\"rw-r-----\" is not an octal mode such as \"0640\"");
    EXPECT_EQ(error_of_modes("file_mode = \"06400\"\n"),
              at + "\"06400\" is not an octal mode such as \"0640\"");
    EXPECT_EQ(error_of_modes("directory_mode = \"0650\"\n"),
              config_.string() +
                  ":2:18: [staging] directory_mode \"0650\" takes from the owner (root) what it "
                  "needs: at least rwx (0700)");
    EXPECT_EQ(error_of_modes("directory_mode = \"0751\"\n"),
              config_.string() +
                  ":2:18: [staging] directory_mode \"0751\" gives others access: nothing may be "
                  "world-readable, -writable or -executable");
    // A hostile byte in the value is quoted, not printed.
    EXPECT_EQ(error_of_modes("file_mode = \"\\u001b[2J\"\n"),
              at + "\"\\033[2J\" is not an octal mode such as \"0640\"");
}

} // namespace
} // namespace offstage::config
