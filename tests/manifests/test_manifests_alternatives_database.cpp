#include "manifests/alternatives_database.hpp"
#include "manifests/usr_merge_aliases.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace offstage::manifests {
namespace {

// The format update-alternatives writes (dpkg's utils/update-alternatives.c, alternative_save).
const std::string pager = "auto\n"
                          "/usr/bin/pager\n"
                          "pager.1.gz\n"
                          "/usr/share/man/man1/pager.1.gz\n"
                          "\n"
                          "/bin/more\n"
                          "50\n"
                          "/usr/share/man/man1/more.1.gz\n"
                          "/usr/bin/less\n"
                          "77\n"
                          "/usr/share/man/man1/less.1.gz\n"
                          "\n";

std::string error_of(const std::string& text, const UsrMergeAliases& aliases = {}) {
    try {
        AlternativesDatabase::parse(text, "x", "ADMIN/x", aliases);
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

TEST(AlternativesDatabase, ParsesMasterAndSlaveLinks) {
    std::optional<Alternative> alternative =
        AlternativesDatabase::parse(pager, "pager", "ADMIN/pager", UsrMergeAliases());
    ASSERT_TRUE(alternative.has_value());
    EXPECT_EQ(alternative->name, "pager");
    EXPECT_EQ(alternative->file, "ADMIN/pager");
    EXPECT_EQ(alternative->links,
              (std::vector<std::string>{"/usr/bin/pager", "/usr/share/man/man1/pager.1.gz"}));
}

TEST(AlternativesDatabase, ManualStatusNoSlavesEmptySlaveFilesAndNegativePriority) {
    std::optional<Alternative> plain = AlternativesDatabase::parse(
        "manual\n/usr/bin/cc\n\n/usr/bin/gcc\n20\n/usr/bin/clang\n-10\n\n", "cc", "f", {});
    ASSERT_TRUE(plain.has_value());
    EXPECT_EQ(plain->links, std::vector<std::string>{"/usr/bin/cc"});
    // A choice without one of the slaves has an empty line in its place.
    std::optional<Alternative> partial =
        AlternativesDatabase::parse("auto\n/usr/bin/vi\nvi.1\n/usr/share/man/man1/vi.1\nex\n"
                                    "/usr/bin/ex\n\n/usr/bin/vim\n30\n\n/usr/bin/vim.ex\n\n",
                                    "vi", "f", {});
    ASSERT_TRUE(partial.has_value());
    EXPECT_EQ(partial->links.size(), 3u);
    // No choices left at all is still a valid file.
    EXPECT_TRUE(AlternativesDatabase::parse("auto\n/usr/bin/x\n\n\n", "x", "f", {}).has_value());
}

TEST(AlternativesDatabase, AnEmptyFileIsNoAlternative) {
    EXPECT_FALSE(AlternativesDatabase::parse("", "x", "f", {}).has_value());
}

TEST(AlternativesDatabase, MapsLinksThroughUsrMerge) {
    std::optional<Alternative> alternative =
        AlternativesDatabase::parse("auto\n/bin/mt\nmt.1.gz\n/usr/share/man/man1/mt.1.gz\n"
                                    "rmt\n/sbin/rmt\n\n/bin/mt-gnu\n50\n/a\n/b\n\n",
                                    "mt", "f", UsrMergeAliases({"bin", "sbin"}));
    ASSERT_TRUE(alternative.has_value());
    EXPECT_EQ(
        alternative->links,
        (std::vector<std::string>{"/usr/bin/mt", "/usr/share/man/man1/mt.1.gz", "/usr/sbin/rmt"}));
}

TEST(AlternativesDatabase, CorruptFilesAreErrorsNamingFileAndLine) {
    EXPECT_EQ(error_of("automatic\n/usr/bin/x\n\n\n"),
              "ADMIN/x:1: invalid status 'automatic' (expected auto or manual)");
    EXPECT_EQ(error_of("auto\nusr/bin/x\n\n\n"),
              "ADMIN/x:2: master link 'usr/bin/x' is not an absolute path");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\ns\n/usr/bin/x\n\n\n"),
              "ADMIN/x:4: slave link same as main link /usr/bin/x");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\ns\n/a\ns\n/b\n\n\n"),
              "ADMIN/x:5: duplicate slave name s");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\ns\n/a\nt\n/a\n\n\n"),
              "ADMIN/x:6: duplicate slave link /a");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\n\n/usr/bin/y\nhigh\n\n"),
              "ADMIN/x:5: priority of /usr/bin/y: 'high' is not an integer");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\n\n/usr/bin/y\n99999999999\n\n"),
              "ADMIN/x:5: priority of /usr/bin/y is out of range: 99999999999");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\n\n/usr/bin/y\n1\n/usr/bin/y\n1\n\n"),
              "ADMIN/x:6: duplicate path /usr/bin/y");
    // Truncated: no end of the choices, a missing slave file, an unterminated last line.
    EXPECT_EQ(error_of("auto\n/usr/bin/x\n\n/usr/bin/y\n1\n"),
              "ADMIN/x:6: unexpected end of file while reading the master file");
    EXPECT_EQ(error_of("auto\n/usr/bin/x\ns\n/a\n\n/usr/bin/y\n1\n"),
              "ADMIN/x:8: unexpected end of file while reading the slave file");
    EXPECT_EQ(error_of("auto\n/usr/bin/x"),
              "ADMIN/x:2: line not terminated while reading the master link");
}

TEST(AlternativesDatabase, LoadsADirectoryAsUpdateAlternativesDoes) {
    test::TempDir dir;
    test::write_file(dir.path() / "pager", pager);
    test::write_file(dir.path() / "empty", "");
    // update-alternatives' own half-written file is not read (it may be truncated).
    test::write_file(dir.path() / "editor.dpkg-tmp", "auto\n/usr/bin/edi");
    test::write_file(dir.path() / "editor", "auto\n/usr/bin/editor\n\n/bin/nano\n40\n\n");
    AlternativesDatabase database = AlternativesDatabase::load(dir.path(), UsrMergeAliases());
    ASSERT_EQ(database.alternatives().size(), 2u);
    EXPECT_EQ(database.alternatives()[0].name, "editor");
    EXPECT_EQ(database.alternatives()[1].file, (dir.path() / "pager").string());
    ASSERT_NE(database.find_link("/usr/share/man/man1/pager.1.gz"), nullptr);
    EXPECT_EQ(database.find_link("/usr/share/man/man1/pager.1.gz")->name, "pager");
    EXPECT_EQ(database.find_link("/usr/bin/editor")->name, "editor");
    EXPECT_EQ(database.find_link("/bin/more"), nullptr); // a choice, not a link
    EXPECT_EQ(database.find_link("/usr/bin/edi"), nullptr);

    EXPECT_TRUE(AlternativesDatabase::load(dir.path() / "missing", UsrMergeAliases())
                    .alternatives()
                    .empty());

    test::write_file(dir.path() / "broken", "auto\n/usr/bin/broken\n");
    try {
        AlternativesDatabase::load(dir.path(), UsrMergeAliases());
        ADD_FAILURE() << "a corrupt file was accepted";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()),
                  (dir.path() / "broken").string() +
                      ":3: unexpected end of file while reading the slave name");
    }
}

} // namespace
} // namespace offstage::manifests
