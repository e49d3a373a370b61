#include "manifests/package_file_set.hpp"

#include <gtest/gtest.h>

namespace offstage::manifests {
namespace {

TEST(PackageFileSet, MatchesExactBytesAndDropsDuplicates) {
    PackageFileSet set;
    for (const char* path : {"/usr/b", "/usr/\xe9t\xe9", "/usr/a b", "/usr/b", "/usr/a", "/"}) {
        set.add(path);
    }
    set.seal();
    ASSERT_EQ(set.size(), 5u);
    EXPECT_EQ(set[0], "/usr/b");
    EXPECT_EQ(set[1], "/usr/\xe9t\xe9");
    EXPECT_EQ(set[4], "/");
    EXPECT_TRUE(set.contains("/usr/\xe9t\xe9"));
    EXPECT_FALSE(set.contains("/usr/\xc3\xa9t\xc3\xa9")); // the same name in UTF-8 is not it
    EXPECT_TRUE(set.contains("/usr/a b"));
    EXPECT_TRUE(set.contains("/"));
    EXPECT_FALSE(set.contains("/usr/a c"));
    EXPECT_FALSE(set.contains("/usr"));
    EXPECT_FALSE(set.contains("/usr/b/"));
    EXPECT_FALSE(set.contains(""));
}

TEST(PackageFileSet, AnEmptySetContainsNothing) {
    PackageFileSet set;
    EXPECT_FALSE(set.contains("/"));
    set.seal();
    EXPECT_FALSE(set.contains("/"));
    EXPECT_EQ(set.size(), 0u);
}

TEST(PackageFileSet, StoresPathsCompactly) {
    PackageFileSet set;
    std::size_t bytes = 0;
    for (int i = 0; i < 100000; ++i) {
        std::string path = "/usr/share/doc/package-" + std::to_string(i) + "/copyright";
        bytes += path.size();
        set.add(path);
    }
    set.seal();
    EXPECT_EQ(set.size(), 100000u);
    for (int i = 0; i < 100000; i += 997) {
        EXPECT_TRUE(set.contains("/usr/share/doc/package-" + std::to_string(i) + "/copyright"));
        EXPECT_FALSE(set.contains("/usr/share/doc/package-" + std::to_string(i) + "/copyrigh"));
    }
    // The paths themselves plus 8 bytes of entry and at most 16 of hash table each, with
    // slack for the arena's growth.
    EXPECT_LT(set.memory_bytes(), bytes * 2 + 100000 * (8 + 16));
}

} // namespace
} // namespace offstage::manifests
