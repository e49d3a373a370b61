#include "manifests/ucf_registry.hpp"
#include "manifests/usr_merge_aliases.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <stdexcept>

namespace offstage::manifests {
namespace {

std::string registry_error(const std::string& registry) {
    try {
        UcfRegistry::parse(registry, "REG", "", "HASH", {});
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

std::string hashfile_error(const std::string& hashfile) {
    try {
        UcfRegistry::parse("p /etc/a\n", "REG", hashfile, "HASH", {});
    } catch (const std::runtime_error& error) {
        return error.what();
    }
    return "no error";
}

const std::string md5_a = "fbc910d4bc9889530c92c7e8b101689b";
const std::string md5_b = "e6fd6e8e29210c5678181f33177d5433";

TEST(UcfRegistry, ParsesUcfrsLinesWithSpacesInPathsAndTheHashfile) {
    // ucfr writes "PKG \t PATH"; the path is the rest of the line, spaces included.
    UcfRegistry registry =
        UcfRegistry::parse("openssh-server \t /etc/ssh/sshd_config\n"
                           "tiny \t /etc/tiny/with space.conf\n"
                           "\n"
                           "other\t/etc/no-hash\n",
                           "REG",
                           md5_b + "  /etc/ssh/sshd_config\n" + md5_a +
                               "  /etc/tiny/with space.conf\n" + md5_a + "  /etc/unregistered\n",
                           "HASH", {});
    ASSERT_EQ(registry.files().size(), 3u);
    const UcfFile* sshd = registry.find("/etc/ssh/sshd_config");
    ASSERT_NE(sshd, nullptr);
    EXPECT_EQ(sshd->package, "openssh-server");
    EXPECT_EQ(sshd->md5, md5_b);
    EXPECT_EQ(sshd->registration, "REG:1");
    const UcfFile* spaced = registry.find("/etc/tiny/with space.conf");
    ASSERT_NE(spaced, nullptr);
    EXPECT_EQ(spaced->md5, md5_a);
    EXPECT_EQ(spaced->registration, "REG:2");
    EXPECT_EQ(registry.find("/etc/no-hash")->md5, "");
    EXPECT_EQ(registry.find("/etc/no-hash")->registration, "REG:4");
    // Only the registry says which files are ucf's; the hashfile only records their state.
    EXPECT_EQ(registry.find("/etc/unregistered"), nullptr);
}

TEST(UcfRegistry, ALaterRegistrationReplacesAnEarlierOne) {
    UcfRegistry registry = UcfRegistry::parse("a /etc/x\nb /etc/x\n", "REG", "", "HASH", {});
    ASSERT_EQ(registry.files().size(), 1u);
    EXPECT_EQ(registry.files()[0].package, "b");
    EXPECT_EQ(registry.files()[0].registration, "REG:2");
}

TEST(UcfRegistry, ReadsMd5sumEscapedNamesAndBinaryMarks) {
    // md5sum escapes a name with a backslash or newline and marks the line with a leading '\'.
    UcfRegistry registry = UcfRegistry::parse(
        "p /etc/back\\slash\np /etc/bin\n", "REG",
        "\\" + md5_a + "  /etc/back\\\\slash\n" + md5_b + " */etc/bin\n", "HASH", {});
    EXPECT_EQ(registry.find("/etc/back\\slash")->md5, md5_a);
    EXPECT_EQ(registry.find("/etc/bin")->md5, md5_b);
}

TEST(UcfRegistry, MapsPathsThroughUsrMerge) {
    UcfRegistry registry = UcfRegistry::parse("p /lib/x.conf\n", "REG", md5_a + "  /lib/x.conf\n",
                                              "HASH", UsrMergeAliases({"lib"}));
    ASSERT_NE(registry.find("/usr/lib/x.conf"), nullptr);
    EXPECT_EQ(registry.find("/usr/lib/x.conf")->md5, md5_a);
}

TEST(UcfRegistry, MalformedLinesAreErrorsNamingFileAndLine) {
    const std::string registry_message =
        "expected 'PACKAGE PATH' (a package name, whitespace, an absolute path)";
    EXPECT_EQ(registry_error("p /etc/a\nonlyapackage\n"), "REG:2: " + registry_message);
    EXPECT_EQ(registry_error("p etc/relative\n"), "REG:1: " + registry_message);
    EXPECT_EQ(registry_error(" /etc/no-package\n"), "REG:1: " + registry_message);
    EXPECT_EQ(registry_error("p \t \n"), "REG:1: " + registry_message); // no path
    EXPECT_EQ(registry_error(" \t \n"), "no error");                    // blank: skipped

    const std::string hash_message =
        "expected 'MD5  PATH' (32 lowercase hex digits, two spaces, an absolute path)";
    EXPECT_EQ(hashfile_error("\n" + md5_a + " /etc/a\n"), "HASH:2: " + hash_message);
    EXPECT_EQ(hashfile_error("xyz  /etc/a\n"), "HASH:1: " + hash_message);
    EXPECT_EQ(hashfile_error(md5_a + "  etc/a\n"), "HASH:1: " + hash_message);
    EXPECT_EQ(hashfile_error("\\" + md5_a + "  /etc/bad\\escape\n"),
              "HASH:1: bad escape in an escaped md5sum line");
}

TEST(UcfRegistry, LoadsFromTheRootAndNoRegistryIsNormal) {
    test::TempDir root;
    EXPECT_TRUE(UcfRegistry::load(root.path(), {}).files().empty());
    test::write_file(root.path() / "var/lib/ucf/registry", "p \t /etc/a\n");
    test::write_file(root.path() / "var/lib/ucf/hashfile", md5_a + "  /etc/a\n");
    UcfRegistry registry = UcfRegistry::load(root.path(), {});
    ASSERT_NE(registry.find("/etc/a"), nullptr);
    EXPECT_EQ(registry.find("/etc/a")->md5, md5_a);
    EXPECT_EQ(registry.find("/etc/a")->registration,
              (root.path() / "var/lib/ucf/registry").string() + ":1");

    test::write_file(root.path() / "var/lib/ucf/registry", "p \t /etc/a\nbroken\n");
    try {
        UcfRegistry::load(root.path(), {});
        ADD_FAILURE() << "a malformed registry was accepted";
    } catch (const std::runtime_error& error) {
        EXPECT_NE(std::string(error.what()).find("var/lib/ucf/registry:2: "), std::string::npos)
            << error.what();
    }
}

} // namespace
} // namespace offstage::manifests
