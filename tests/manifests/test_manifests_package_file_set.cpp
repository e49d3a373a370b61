#include "manifests/package_file_set.hpp"

#include <gtest/gtest.h>

namespace offstage::manifests {
namespace {

TEST(PackageFileSet, SortsInByteOrderAndDropsDuplicates) {
    PackageFileSet set;
    for (const char* path : {"/usr/b", "/usr/\xe9t\xe9", "/usr/a b", "/usr/b", "/usr/a", "/"}) {
        set.add(path);
    }
    set.seal();
    ASSERT_EQ(set.size(), 5u);
    // Bytes >= 0x80 sort after ASCII: unsigned comparison, not the locale's collation.
    EXPECT_EQ(set[0], "/");
    EXPECT_EQ(set[1], "/usr/a");
    EXPECT_EQ(set[2], "/usr/a b");
    EXPECT_EQ(set[3], "/usr/b");
    EXPECT_EQ(set[4], "/usr/\xe9t\xe9");
    EXPECT_TRUE(set.contains("/usr/\xe9t\xe9"));
    EXPECT_TRUE(set.contains("/usr/a b"));
    EXPECT_FALSE(set.contains("/usr/a c"));
    EXPECT_FALSE(set.contains("/usr"));
    EXPECT_FALSE(set.contains(""));
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
    EXPECT_TRUE(set.contains("/usr/share/doc/package-99999/copyright"));
    // The paths themselves plus 8 bytes of index each, with some slack for growth.
    EXPECT_LT(set.memory_bytes(), bytes * 2 + 100000 * 8);
}

} // namespace
} // namespace offstage::manifests
