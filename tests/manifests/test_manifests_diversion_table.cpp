#include "manifests/diversion_table.hpp"
#include "manifests/usr_merge_aliases.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace offstage::manifests {
namespace {

TEST(DiversionTable, ParsesDpkgsThreeLineFormatWithLocalDiversionsAndSpaces) {
    std::string text = "/usr/bin/tool\n/usr/bin/tool.distrib\ntiny-divert\n"
                       "/etc/my file\n/etc/my file.orig\n:\n";
    DiversionTable table = DiversionTable::parse(text, "diversions", UsrMergeAliases());
    ASSERT_EQ(table.diversions().size(), 2u);
    EXPECT_EQ(table.diversions()[1].from, "/etc/my file");
    EXPECT_EQ(table.diversions()[1].to, "/etc/my file.orig");
    EXPECT_EQ(table.diversions()[1].package, "");

    // Other packages' copy lives at the diverted-to name; the diverting package keeps it.
    EXPECT_EQ(table.location("/usr/bin/tool", "tiny-base"), "/usr/bin/tool.distrib");
    EXPECT_EQ(table.location("/usr/bin/tool", "tiny-divert"), "/usr/bin/tool");
    EXPECT_EQ(table.location("/usr/bin/tool", "tiny-divert:amd64"), "/usr/bin/tool");
    // A local diversion diverts every package's copy.
    EXPECT_EQ(table.location("/etc/my file", "any"), "/etc/my file.orig");
    EXPECT_EQ(table.location("/usr/bin/other", "any"), "/usr/bin/other");
}

TEST(DiversionTable, CanonicalizesUsrMergeAliases) {
    DiversionTable table = DiversionTable::parse("/bin/sh\n/bin/sh.distrib\ndash\n", "diversions",
                                                 UsrMergeAliases({"bin"}));
    EXPECT_EQ(table.location("/usr/bin/sh", "bash"), "/usr/bin/sh.distrib");
}

TEST(DiversionTable, RejectsATruncatedFileNamingTheLine) {
    try {
        DiversionTable::parse("/a\n/b\npkg\n/c\n", "/x/diversions", UsrMergeAliases());
        FAIL() << "expected an error";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("/x/diversions:4"), std::string::npos)
            << error.what();
    }
}

TEST(DiversionTable, AMissingFileMeansNoDiversions) {
    test::TempDir dir;
    EXPECT_TRUE(DiversionTable::load(dir.path(), UsrMergeAliases()).diversions().empty());
}

TEST(UsrMergeAliases, DetectsMergedDirectoriesFromTheRoot) {
    test::TempDir root;
    std::filesystem::create_directories(root / "usr/bin");
    std::filesystem::create_directories(root / "usr/lib");
    std::filesystem::create_directories(root / "sbin"); // not merged: a real directory
    std::filesystem::create_directory_symlink("usr/bin", root / "bin");
    std::filesystem::create_directory_symlink("/usr/lib", root / "lib");
    std::filesystem::create_directory_symlink("elsewhere", root / "lib64"); // not usr/lib64
    UsrMergeAliases aliases = UsrMergeAliases::detect(root.path());
    EXPECT_EQ(aliases.names(), (std::vector<std::string>{"bin", "lib"}));
    EXPECT_EQ(aliases.canonical("/bin/ls"), "/usr/bin/ls");
    EXPECT_EQ(aliases.canonical("/lib/x/y.so"), "/usr/lib/x/y.so");
    EXPECT_EQ(aliases.canonical("/bin"), "/bin"); // the alias symlink itself
    EXPECT_EQ(aliases.canonical("/binary/x"), "/binary/x");
    EXPECT_EQ(aliases.canonical("/sbin/init"), "/sbin/init");
    EXPECT_EQ(aliases.canonical("/lib64/ld.so"), "/lib64/ld.so");
    EXPECT_EQ(aliases.canonical("/usr/bin/ls"), "/usr/bin/ls");
}

TEST(UsrMergeAliases, AnUnmergedRootHasNoAliases) {
    test::TempDir root;
    std::filesystem::create_directories(root / "bin");
    EXPECT_TRUE(UsrMergeAliases::detect(root.path()).names().empty());
}

} // namespace
} // namespace offstage::manifests
