// platform/config_file: offstage.toml checked whole against the key table on load. Every
// mistake an admin can make is an error naming FILE:LINE:COL, never a silent default.
#include "platform/config_file.hpp"
#include "platform/config_limits.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace offstage::platform {
namespace {

namespace fs = std::filesystem;

const std::string sections =
    "[staging], [shell], [scan], [encryption], [archive], [run], [catalog], [mail], [hooks], "
    "[status], [[spool]], [mariadb], [postgresql], [[sqlite]], [afs]";

// The message of the ConfigError parsing `text` throws, or "loaded".
std::string error_of(const std::string& text) {
    try {
        ConfigFile::parse(text, "t.toml");
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "loaded";
}

std::string load_error(const fs::path& path) {
    try {
        ConfigFile::load(path);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "loaded";
}

TEST(ConfigFile, TheShippedFileIsValidAndGivesEveryKey) {
    fs::path shipped = fs::path(OFFSTAGE_SOURCE_DIR) / "docs" / "offstage.toml";
    ConfigFile file = ConfigFile::load(shipped);
    EXPECT_EQ(file.section("staging").path("root"), fs::path("/srv/offstage"));
    EXPECT_EQ(file.section("archive").integer("threads"), 0);
    std::string text = test::read_file(shipped);
    for (const ConfigSection& section : offstage_config_schema().sections) {
        // Given, or (an array of tables, which has required keys, or a section whose presence
        // turns a source on) shown commented out.
        EXPECT_TRUE(text.find("\n" + section_label(section) + "\n") != std::string::npos ||
                    ((section.array_of_tables || section.presence_enables) &&
                     text.find("\n# " + section_label(section) + "\n") != std::string::npos))
            << section.name;
        for (const ConfigKey& key : section.keys) {
            // Given, or shown commented out with an example.
            bool given = text.find("\n" + std::string(key.name) + " = ") != std::string::npos ||
                         text.find("\n# " + std::string(key.name) + " = ") != std::string::npos;
            EXPECT_TRUE(given) << "[" << section.name << "] " << key.name;
        }
    }
}

struct BadFile {
    std::string text;
    std::string message; // what() exactly
};

TEST(ConfigFile, EveryKindOfMistakeIsAnErrorAtItsPlace) {
    const std::vector<BadFile> cases = {
        {"[shel]\nrsync = \"/usr/bin/rsync\"\n",
         "t.toml:1:2: unknown section [shel] (the sections are " + sections + ")"},
        {"[staging]\nroot = \"/srv\"\n\n[archiv]\n",
         "t.toml:4:2: unknown section [archiv] (the sections are " + sections + ")"},
        {"# a key before any header\nroot = \"/srv\"\n",
         "t.toml:2:1: key 'root' outside any section (the sections are " + sections + ")"},
        {"[staging]\nrot = \"/srv\"\n", "t.toml:2:1: [staging] unknown key 'rot'"},
        {"[encryption]\nrecipient_file = \"/etc/offstage/escrow.txt\"\n",
         "t.toml:2:1: [encryption] unknown key 'recipient_file'"},
        {"[staging.old]\nroot = \"/srv\"\n", "t.toml:1:10: [staging] unknown key 'old'"},
        {"[archive]\nlevel = 99\n",
         "t.toml:2:9: [archive] level must be an integer in 1..19, not 99"},
        {"[archive]\nlevel = \"3\"\n", "t.toml:2:9: [archive] level must be an integer in 1..19"},
        {"[archive]\ncompression = \"xz\"\n",
         "t.toml:2:15: [archive] compression must be one of \"zstd\", \"none\", not \"xz\""},
        {"[encryption]\nrecipients_file = \"keys.txt\"\n",
         "t.toml:2:19: [encryption] recipients_file must be an absolute path, or \"\" for none, "
         "not \"keys.txt\""},
        {"[encryption]\nrecipients = \"age1abc\"\n",
         "t.toml:2:14: [encryption] recipients must be an array of age recipients (age1...)"},
        {"[scan]\nfilesystems = [\"/home\", \"srv\"]\n",
         "t.toml:2:25: [scan] filesystems must be an array of strings, each an absolute path, "
         "not \"srv\""},
        {"[shell]\nbackup_command = []\n",
         "t.toml:2:18: [shell] backup_command must be a non-empty array of strings whose first "
         "word is an absolute path"},
        {"[shell]\nbackup_command = [\"sudo\", \"offstage\"]\n",
         "t.toml:2:19: [shell] backup_command must be a non-empty array of strings whose first "
         "word is an absolute path, not \"sudo\""},
        {"[shell]\nsyslog = \"yes\"\n", "t.toml:2:10: [shell] syslog must be true or false"},
        {"[shell]\nlog_file = \"shell.log\"\n",
         "t.toml:2:12: [shell] log_file must be an absolute path, or \"\" for none, not "
         "\"shell.log\""},
        {"[staging]\nroot = \"/srv/a\\u0000/b\"\n",
         "t.toml:2:8: [staging] root must be an absolute path without a NUL byte"},
        {"staging = \"/srv\"\n", "t.toml:1:1: [staging] must be a table"},
        {"[[staging]]\nroot = \"/srv\"\n",
         "t.toml:1:3: [staging] must be a table, not [[staging]]"},
        // A hostile key name is shown escaped, never raw.
        {"[shell]\n\"\\u001b[2J\" = 1\n", "t.toml:2:1: [shell] unknown key '\\033[2J'"},
        // toml++'s own syntax errors keep their place.
        {"[shell\nrsync = 1\n", "t.toml:1:7: Error while parsing table header: expected ']', "
                                "saw '\\n'"},
    };
    for (const BadFile& bad : cases) {
        EXPECT_EQ(error_of(bad.text), bad.message) << bad.text;
    }
}

TEST(ConfigFile, AByteOrderMarkMayOpenTheFile) {
    ConfigFile file = ConfigFile::parse("\xef\xbb\xbf[staging]\nroot = \"/srv\"\n", "t.toml");
    EXPECT_EQ(file.section("staging").path("root"), fs::path("/srv"));
}

TEST(ConfigFile, TheFirstProblemInFileOrderIsReportedWithACountOfTheRest) {
    // toml++ keeps keys sorted: "zz" comes after "aa" there, before it here.
    EXPECT_EQ(error_of("[scan]\nzz = 1\n[archive]\naa = 2\nlevel = 0\n"),
              "t.toml:2:1: [scan] unknown key 'zz' (and 2 more problems after it)");
}

TEST(ConfigFile, ThreadsAreBoundedByTheUsableCpus) {
    const int limit = thread_limit();
    ASSERT_GE(limit, 1);
    ASSERT_LE(limit, max_threads);
    EXPECT_EQ(error_of("[archive]\nthreads = " + std::to_string(limit) + "\n"), "loaded");
    EXPECT_EQ(error_of("[archive]\nthreads = 0\n"), "loaded");
    std::string over = error_of("[archive]\nthreads = " + std::to_string(limit + 1) + "\n");
    EXPECT_EQ(over.rfind("t.toml:2:11: [archive] threads must be an integer in 0.." +
                             std::to_string(limit),
                         0),
              0u)
        << over;
    EXPECT_NE(error_of("[archive]\nthreads = 256\n").find("not 256"), std::string::npos);
    EXPECT_NE(error_of("[archive]\nthreads = -1\n").find("not -1"), std::string::npos);
}

TEST(ConfigFile, AccessorsReadWhatTheTableAllowed) {
    ConfigFile file = ConfigFile::parse(
        "[staging]\nroot = \"/srv/stage\"\n[shell]\nlog_file = \"\"\nsyslog = false\n"
        "backup_command = [\"/bin/backup\", \"--now\"]\n[archive]\nlevel = 7\n",
        "t.toml");
    EXPECT_EQ(file.section("staging").path("root"), fs::path("/srv/stage"));
    EXPECT_EQ(file.section("shell").path("log_file"), fs::path());
    EXPECT_EQ(file.section("shell").boolean("syslog"), false);
    EXPECT_EQ(file.section("shell").strings("backup_command"),
              (std::vector<std::string>{"/bin/backup", "--now"}));
    EXPECT_EQ(file.section("archive").integer("level"), 7);
    EXPECT_EQ(file.section("archive").string("compression"), std::nullopt);
    EXPECT_EQ(file.section("scan").path("root"), std::nullopt); // an absent section is empty
    EXPECT_TRUE(file.has_section("shell"));
    EXPECT_FALSE(file.has_section("scan"));
    EXPECT_EQ(file.section("shell").where("backup_command"), "t.toml:6:18");
    EXPECT_EQ(file.section("shell").where("backup_command", 1), "t.toml:6:34");
    EXPECT_EQ(file.section("shell").where("rsync"), "t.toml:3:1"); // absent: the table
    EXPECT_EQ(file.section("scan").where("root"), "t.toml");
    EXPECT_EQ(file.section("shell").name("rsync"), "[shell] rsync");
    // Reading a key the table does not list, or through the wrong accessor, is a bug.
    EXPECT_THROW(file.section("shell").string("rsynk"), std::logic_error);
    EXPECT_THROW(file.section("archive").string("level"), std::logic_error);
    EXPECT_THROW(file.section("courier"), std::logic_error);
}

TEST(ConfigFile, OnlyARegularFileOfBoundedSizeIsRead) {
    test::TempDir dir;
    EXPECT_EQ(load_error(dir.path()), dir.path().string() + ": not a regular file (a directory)");
    fs::path fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    // Refused at once, not waited on.
    EXPECT_EQ(load_error(fifo), fifo.string() + ": not a regular file");
    EXPECT_EQ(load_error("/dev/null"), "/dev/null: not a regular file");
    EXPECT_EQ(load_error(dir / "missing.toml"),
              (dir / "missing.toml").string() + ": cannot open: No such file or directory");

    // At the bound (blank lines) it loads; one byte more is refused before parsing.
    fs::path big = test::write_file(dir / "big.toml", std::string(max_config_bytes, '\n'));
    EXPECT_EQ(load_error(big), "loaded");
    test::write_file(big, std::string(max_config_bytes + 1, '\n'));
    EXPECT_EQ(load_error(big), big.string() + ": larger than 1048576 bytes");
    EXPECT_EQ(error_of(std::string(max_config_bytes + 1, '\n')),
              "t.toml: larger than 1048576 bytes");
}

TEST(ConfigFile, AHostileFileNameIsEscapedInMessages) {
    test::TempDir dir;
    fs::path named = test::write_file(dir / "a\033[2Jb.toml", "[shel]\n");
    std::string message = load_error(named);
    EXPECT_EQ(message.find('\033'), std::string::npos) << message;
    EXPECT_NE(message.find("a\\033[2Jb.toml:1:2: unknown section [shel]"), std::string::npos)
        << message;
}

} // namespace
} // namespace offstage::platform
