// Every operator of the pattern language, through PolicySet (one rule per set).
#include "policies/policy_set.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::policies {
namespace {

bool matches(const std::string& pattern, std::string_view path, bool is_directory = false) {
    PolicySet set = PolicySet::parse("exclude " + pattern + "\n", "test.policy");
    return set.match(path, is_directory) != nullptr;
}

TEST(GlobPattern, LiteralPathMatchesExactlyItself) {
    EXPECT_TRUE(matches("/etc/passwd", "/etc/passwd"));
    EXPECT_TRUE(matches("/etc/passwd", "/etc/passwd", true));
    EXPECT_FALSE(matches("/etc/passwd", "/etc/passwd-"));
    EXPECT_FALSE(matches("/etc/passwd", "/etc/passw"));
    EXPECT_FALSE(matches("/etc/passwd", "/etc/passwd/x"));
    EXPECT_FALSE(matches("/etc/passwd", "/etc"));
    EXPECT_FALSE(matches("/etc/passwd", "/usr/etc/passwd"));
}

TEST(GlobPattern, StarMatchesAnyBytesButSlash) {
    EXPECT_TRUE(matches("/etc/ssh/ssh_host_*", "/etc/ssh/ssh_host_rsa_key"));
    EXPECT_TRUE(matches("/etc/ssh/ssh_host_*", "/etc/ssh/ssh_host_"));
    EXPECT_FALSE(matches("/etc/ssh/ssh_host_*", "/etc/ssh/ssh_host_x/y"));
    EXPECT_TRUE(matches("/a/*/c", "/a/b/c"));
    EXPECT_TRUE(matches("/a/*/c", "/a/bbb/c"));
    EXPECT_FALSE(matches("/a/*/c", "/a/b/b/c"));
    EXPECT_TRUE(matches("/a/*.pyc", "/a/x.y.pyc"));
    EXPECT_FALSE(matches("/a/*.pyc", "/a/x.py"));
    EXPECT_TRUE(matches("/a/x*y*z", "/a/xaaybbz"));
    EXPECT_TRUE(matches("/a/x*y*z", "/a/xyz"));
    EXPECT_FALSE(matches("/a/x*y*z", "/a/xzy"));
}

TEST(GlobPattern, QuestionMarkMatchesOneByteButSlash) {
    EXPECT_TRUE(matches("/a/?", "/a/b"));
    EXPECT_FALSE(matches("/a/?", "/a/bc"));
    EXPECT_FALSE(matches("/a/?", "/a/"));
    EXPECT_FALSE(matches("/a?b", "/a/b"));
    EXPECT_TRUE(matches("/a?b", "/axb"));
    // One byte, not one character: a two-byte UTF-8 letter needs two '?'.
    EXPECT_FALSE(matches("/?", "/\xc3\xa9"));
    EXPECT_TRUE(matches("/??", "/\xc3\xa9"));
}

TEST(GlobPattern, ByteClasses) {
    EXPECT_TRUE(matches("/rc[0-6S].d/x", "/rc3.d/x"));
    EXPECT_TRUE(matches("/rc[0-6S].d/x", "/rcS.d/x"));
    EXPECT_FALSE(matches("/rc[0-6S].d/x", "/rc7.d/x"));
    EXPECT_TRUE(matches("/[!a]", "/b"));
    EXPECT_FALSE(matches("/[!a]", "/a"));
    EXPECT_TRUE(matches("/[^a]", "/b"));
    EXPECT_FALSE(matches("/[^a]", "/a"));
    // ']' first in a class is literal; so is '-' first or last.
    EXPECT_TRUE(matches("/[]a]", "/]"));
    EXPECT_TRUE(matches("/[!]a]", "/b"));
    EXPECT_FALSE(matches("/[!]a]", "/]"));
    EXPECT_TRUE(matches("/[-a]", "/-"));
    EXPECT_TRUE(matches("/[a-]", "/-"));
    EXPECT_FALSE(matches("/[a-]", "/b"));
    // Escapes inside a class.
    EXPECT_TRUE(matches("/[\\]x]", "/]"));
    EXPECT_TRUE(matches("/[\\!a]", "/!"));
    // A negated class never matches '/'.
    EXPECT_FALSE(matches("/a[!x]b", "/a/b"));
    // Classes work on raw bytes.
    EXPECT_TRUE(matches("/[\x80-\xff]", "/\xe9"));
    EXPECT_FALSE(matches("/[\x80-\xff]", "/e"));
}

TEST(GlobPattern, DoubleStarCrossesSlash) {
    EXPECT_TRUE(matches("/usr/lib/**.pyc", "/usr/lib/python3/dist/x.pyc"));
    EXPECT_TRUE(matches("/usr/lib/**.pyc", "/usr/lib/x.pyc"));
    EXPECT_FALSE(matches("/usr/lib/**.pyc", "/usr/share/x.pyc"));
    EXPECT_TRUE(matches("/a/**", "/a/b"));
    EXPECT_TRUE(matches("/a/**", "/a/b/c/d"));
    EXPECT_FALSE(matches("/a/**", "/a"));
    EXPECT_TRUE(matches("/a**", "/a/b/c"));
    EXPECT_TRUE(matches("/a**", "/abc"));
    EXPECT_TRUE(matches("/a**z", "/a/b/z"));
    EXPECT_FALSE(matches("/a**z", "/a/b/zz/y"));
}

TEST(GlobPattern, DoubleStarComponentAlsoMatchesZeroComponents) {
    EXPECT_TRUE(matches("/**/__pycache__/", "/__pycache__", true));
    EXPECT_TRUE(matches("/**/__pycache__/", "/usr/lib/python3/__pycache__", true));
    EXPECT_TRUE(matches("/**/__pycache__/", "/usr/lib/python3/__pycache__/x.cpython-311.pyc"));
    EXPECT_FALSE(matches("/**/__pycache__/", "/usr/lib/python3/__pycache__x"));
    EXPECT_TRUE(matches("/a/**/b", "/a/b"));
    EXPECT_TRUE(matches("/a/**/b", "/a/x/b"));
    EXPECT_TRUE(matches("/a/**/b", "/a/x/y/b"));
    EXPECT_FALSE(matches("/a/**/b", "/a/xb"));
    EXPECT_FALSE(matches("/a/**/b", "/ab"));
    EXPECT_TRUE(matches("/**/*.pyc", "/x.pyc"));
    EXPECT_TRUE(matches("/**/*.pyc", "/a/b/x.pyc"));
    EXPECT_FALSE(matches("/**/*.pyc", "/a/b/x.pyc/y"));
}

TEST(GlobPattern, TrailingSlashMeansTheDirectoryAndEverythingBelow) {
    EXPECT_TRUE(matches("/tmp/", "/tmp", true));
    EXPECT_FALSE(matches("/tmp/", "/tmp", false)); // a file named /tmp is not the directory
    EXPECT_TRUE(matches("/tmp/", "/tmp/x"));
    EXPECT_TRUE(matches("/tmp/", "/tmp/x/y/z", true));
    EXPECT_FALSE(matches("/tmp/", "/tmpx"));
    EXPECT_FALSE(matches("/tmp/", "/"));
    EXPECT_TRUE(matches("/home/*/", "/home/alice", true));
    EXPECT_TRUE(matches("/home/*/", "/home/alice/.bashrc"));
    EXPECT_FALSE(matches("/home/*/", "/home", true));
    // Without the slash, only the path itself.
    EXPECT_TRUE(matches("/tmp", "/tmp", true));
    EXPECT_FALSE(matches("/tmp", "/tmp/x"));
}

TEST(GlobPattern, RootPatternMatchesEverything) {
    EXPECT_TRUE(matches("/", "/", true));
    EXPECT_TRUE(matches("/", "/etc", true));
    EXPECT_TRUE(matches("/", "/etc/passwd"));
    // The root directory itself is matched only by "/".
    EXPECT_FALSE(matches("/*", "/", true));
    EXPECT_FALSE(matches("/**", "/", true));
}

TEST(GlobPattern, BackslashEscapesTheNextByte) {
    EXPECT_TRUE(matches("/a\\*b", "/a*b"));
    EXPECT_FALSE(matches("/a\\*b", "/axb"));
    EXPECT_TRUE(matches("/a\\?", "/a?"));
    EXPECT_FALSE(matches("/a\\?", "/ab"));
    EXPECT_TRUE(matches("/\\[x]", "/[x]"));
    EXPECT_TRUE(matches("/a\\ b", "/a b"));
    EXPECT_TRUE(matches("/a\\\\b", "/a\\b"));
    EXPECT_TRUE(matches("/a\\#b", "/a#b"));
    EXPECT_TRUE(matches("/\\x", "/x")); // an escaped ordinary byte is that byte
}

TEST(GlobPattern, HashInsideAPatternIsLiteral) {
    EXPECT_TRUE(matches("/a#b", "/a#b"));
    EXPECT_TRUE(matches("/#x", "/#x"));
}

TEST(GlobPattern, RawBytesRoundTrip) {
    std::string latin1 = "/home/\xe9t\xe9";
    EXPECT_TRUE(matches(latin1 + "/", latin1 + "/f\xff"));
    EXPECT_TRUE(matches("/home/*/", latin1 + "/x"));
    EXPECT_TRUE(matches("/home/\xe9*", latin1));
    EXPECT_FALSE(matches("/home/\xe8*", latin1));
}

TEST(GlobPattern, LongPatternsBeyondSixtyFourStates) {
    // One machine word of states, a few words on the stack, and more than fit there.
    for (int pairs : {20, 100, 300}) {
        std::string pattern = "/";
        std::string path = "/";
        for (int i = 0; i < pairs; ++i) {
            pattern += "?*";
            path += "x";
        }
        pattern += "z";
        path += "yz";
        EXPECT_TRUE(matches(pattern, path)) << pairs;
        EXPECT_TRUE(matches(pattern + "/", path + "/below")) << pairs;
        EXPECT_FALSE(matches(pattern, path.substr(0, path.size() - 3) + "z")) << pairs;
        EXPECT_FALSE(matches(pattern, path + "/below")) << pairs;
    }
}

TEST(GlobPattern, NonAbsolutePathsNeverMatch) {
    EXPECT_FALSE(matches("/", "etc", true));
    EXPECT_FALSE(matches("/**/*.pyc", "x.pyc"));
    EXPECT_FALSE(matches("/", "", true));
}

} // namespace
} // namespace offstage::policies
