// The key table's machinery on a table of its own: arrays of tables ([[spool]] entries, as the
// run's spool sources will need), required keys, and the kinds of section and key.
#include "platform/config_file.hpp"
#include "platform/config_schema.hpp"

#include <array>
#include <gtest/gtest.h>
#include <string>

namespace offstage::platform {
namespace {

namespace fs = std::filesystem;

constexpr std::array spool_keys{
    ConfigKey{.name = "name", .type = ConfigType::string, .required = true},
    ConfigKey{.name = "path", .type = ConfigType::absolute_path, .required = true},
    ConfigKey{.name = "lock_file", .type = ConfigType::optional_path},
    ConfigKey{.name = "lock_timeout", .type = ConfigType::integer, .min = 0, .max = 3600},
};
constexpr std::array mail_keys{
    ConfigKey{.name = "to", .type = ConfigType::strings},
};
constexpr std::array sections{
    ConfigSection{.name = "mail", .keys = mail_keys},
    ConfigSection{.name = "spool", .keys = spool_keys, .array_of_tables = true},
};
constexpr ConfigSchema schema{.sections = sections};

std::string error_of(const std::string& text) {
    try {
        ConfigFile::parse(text, "t.toml", schema);
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "loaded";
}

TEST(ConfigSchema, ArrayOfTablesEntriesAreReadInFileOrder) {
    ConfigFile file = ConfigFile::parse("[[spool]]\nname = \"spamd\"\npath = \"/var/spool/spamd\"\n"
                                        "lock_file = \"/run/spamd.lock\"\nlock_timeout = 30\n"
                                        "\n[mail]\nto = [\"root\"]\n\n"
                                        "[[spool]]\nname = \"cups\"\npath = \"/var/spool/cups\"\n",
                                        "t.toml", schema);
    std::vector<ConfigTable> spools = file.entries("spool");
    ASSERT_EQ(spools.size(), 2u);
    EXPECT_EQ(spools[0].string("name"), "spamd");
    EXPECT_EQ(spools[0].path("lock_file"), fs::path("/run/spamd.lock"));
    EXPECT_EQ(spools[0].integer("lock_timeout"), 30);
    EXPECT_EQ(spools[1].string("name"), "cups");
    EXPECT_EQ(spools[1].path("path"), fs::path("/var/spool/cups"));
    EXPECT_EQ(spools[1].integer("lock_timeout"), std::nullopt);
    EXPECT_EQ(spools[1].where("name"), "t.toml:11:8");
    EXPECT_EQ(spools[1].name("name"), "[[spool]] name");
    EXPECT_EQ(file.section("mail").strings("to"), std::vector<std::string>{"root"});

    // The same data written inline is the same array of tables.
    ConfigFile inline_form = ConfigFile::parse(
        "spool = [{name = \"a\", path = \"/a\"}, {name = \"b\", path = \"/b\"}]\n", "t.toml",
        schema);
    ASSERT_EQ(inline_form.entries("spool").size(), 2u);
    EXPECT_EQ(inline_form.entries("spool")[1].string("name"), "b");
    EXPECT_TRUE(ConfigFile::parse("spool = []\n", "t.toml", schema).entries("spool").empty());
    EXPECT_TRUE(ConfigFile::parse("", "t.toml", schema).entries("spool").empty());
}

TEST(ConfigSchema, EachEntryIsCheckedAgainstTheRows) {
    EXPECT_EQ(error_of("[[spool]]\nname = \"a\"\npath = \"/a\"\n[[spool]]\nname = \"b\"\n"
                       "path = \"/b\"\nlock_timeout = 7200\n"),
              "t.toml:7:16: [[spool]] lock_timeout must be an integer in 0..3600, not 7200");
    EXPECT_EQ(error_of("[[spool]]\nname = \"a\"\npath = \"/a\"\nlock_fle = \"/x\"\n"),
              "t.toml:4:1: [[spool]] unknown key 'lock_fle'");
    EXPECT_EQ(error_of("[[spool]]\nname = \"a\"\npath = \"/a\"\n\n[[spool]]\nname = \"b\"\n"),
              "t.toml:5:1: [[spool]] lacks the key 'path', which it must give");
    EXPECT_EQ(error_of("[[spool]]\nname = \"a\"\npath = \"a\"\n"),
              "t.toml:3:8: [[spool]] path must be an absolute path, not \"a\"");
}

TEST(ConfigSchema, TheKindOfEachSectionIsChecked) {
    EXPECT_EQ(error_of("[spool]\nname = \"a\"\npath = \"/a\"\n"),
              "t.toml:1:2: [[spool]] must be an array of tables: write [[spool]] above each entry");
    EXPECT_EQ(error_of("spool = [1, 2]\n"),
              "t.toml:1:1: [[spool]] must be an array of tables: write [[spool]] above each entry");
    EXPECT_EQ(error_of("[[mail]]\nto = []\n"), "t.toml:1:3: [mail] must be a table, not [[mail]]");
    EXPECT_EQ(error_of("[staging]\n"),
              "t.toml:1:2: unknown section [staging] (the sections are [mail], [[spool]])");
    ConfigFile file = ConfigFile::parse("", "t.toml", schema);
    EXPECT_THROW(file.section("spool"), std::logic_error);
    EXPECT_THROW(file.entries("mail"), std::logic_error);
}

TEST(ConfigSchema, DescribeTypeSaysWhatAValueMustBe) {
    EXPECT_EQ(describe_type(spool_keys[3]), "an integer in 0..3600");
    EXPECT_EQ(describe_type(spool_keys[1]), "an absolute path");
    EXPECT_EQ(section_label(sections[1]), "[[spool]]");
    EXPECT_EQ(schema.section_list(), "[mail], [[spool]]");
    EXPECT_EQ(schema.find("spool"), &sections[1]);
    EXPECT_EQ(schema.find("spoo"), nullptr);
    EXPECT_EQ(sections[1].find("path"), &spool_keys[1]);
}

} // namespace
} // namespace offstage::platform
