// The raw-text bounds checked before toml++ parses a configuration: nesting (toml++ recurses
// once per level, so 300000 dotted parts overflowed the stack of both programs) and size.
#include "platform/config_file.hpp"
#include "platform/config_limits.hpp"
#include "platform/config_text_bounds.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::platform {
namespace {

// The bounds' verdict on `text`: "ok" or the error message.
std::string verdict(const std::string& text) {
    try {
        check_config_text_bounds(text, "t.toml");
    } catch (const ConfigError& error) {
        return error.what();
    }
    return "ok";
}

std::string parts(int count, const std::string& part = "a") {
    std::string key = part;
    for (int i = 1; i < count; ++i) {
        key += "." + part;
    }
    return key;
}

std::string repeat(const std::string& text, int count) {
    std::string out;
    for (int i = 0; i < count; ++i) {
        out += text;
    }
    return out;
}

const std::string too_deep = ": nested deeper than 16 levels (the parts of a table header and of "
                             "a dotted key, and the arrays and inline tables around a value, "
                             "count together)";

TEST(ConfigTextBounds, HeadersAndDottedKeysCountTheirParts) {
    ASSERT_EQ(max_config_depth, 16);
    EXPECT_EQ(verdict("[" + parts(16) + "]\n"), "ok");
    EXPECT_EQ(verdict("[" + parts(17) + "]\n"), "t.toml:1:1" + too_deep);
    EXPECT_EQ(verdict("[ " + parts(17, "\"x.y\"") + " ]\n"), "t.toml:1:1" + too_deep);
    // [[a]] adds the array level.
    EXPECT_EQ(verdict("[[" + parts(15) + "]]\n"), "ok");
    EXPECT_EQ(verdict("[[" + parts(16) + "]]\n"), "t.toml:1:1" + too_deep);
    // A header's parts and a key's count together; the place is the key's.
    EXPECT_EQ(verdict("[" + parts(8) + "]\n" + parts(8) + " = 1\n"), "ok");
    EXPECT_EQ(verdict("# c\n[" + parts(8) + "]\n  " + parts(9) + " = 1\n"),
              "t.toml:3:3" + too_deep);
    // Each header starts afresh.
    EXPECT_EQ(verdict("[" + parts(10) + "]\n[b]\n" + parts(10) + " = 1\n"), "ok");
}

TEST(ConfigTextBounds, ArraysAndInlineTablesCountTheirNesting) {
    // [s] k is at depth 2; each array adds one for its elements.
    EXPECT_EQ(verdict("[s]\nk = " + repeat("[", 14) + "1" + repeat("]", 14) + "\n"), "ok");
    EXPECT_EQ(verdict("[s]\nk = " + repeat("[", 15) + "1" + repeat("]", 15) + "\n"),
              "t.toml:2:20" + too_deep);
    EXPECT_EQ(verdict("k = " + repeat("{a = ", 15) + "1" + repeat("}", 15) + "\n"), "ok");
    EXPECT_EQ(verdict("k = " + repeat("{a = ", 16) + "1" + repeat("}", 16) + "\n"),
              "t.toml:1:81" + too_deep);
    EXPECT_EQ(verdict("k = [\n  # a comment [[[[\n  [1, 2],\n  [\"]\", '['],\n]\n"), "ok");
}

TEST(ConfigTextBounds, StringsAndCommentsDoNotCount) {
    const std::string brackets = repeat("[{.", 1000);
    EXPECT_EQ(verdict("k = \"" + brackets + "\\\"" + brackets + "\"\n"), "ok");
    EXPECT_EQ(verdict("k = '" + brackets + "'\n"), "ok");
    EXPECT_EQ(verdict("k = \"\"\"\n" + brackets + "\n\"\"\"\"\n"), "ok");
    EXPECT_EQ(verdict("k = '''" + brackets + "\n'' ''''\n"), "ok");
    EXPECT_EQ(verdict("# " + brackets + "\n"), "ok");
    EXPECT_EQ(verdict("\"" + parts(100) + "\" = 1\n"), "ok");
    EXPECT_EQ(verdict("k = 1979-05-27 07:32:00.5 # " + brackets + "\n"), "ok");
    // After a string ends, what follows counts again.
    EXPECT_EQ(verdict("k = \"\"\"x\"\"\"\n[" + parts(17) + "]\n"), "t.toml:2:1" + too_deep);
    EXPECT_EQ(verdict("k = 'x'\r\n[" + parts(17) + "]\r\n"), "t.toml:2:1" + too_deep);
}

TEST(ConfigTextBounds, WhatIsNotTomlIsLeftToTheParser) {
    EXPECT_EQ(verdict("[a\n"), "ok");
    EXPECT_EQ(verdict("= 1\n"), "ok");
    EXPECT_EQ(verdict("k = \"open\n"), "ok");
    EXPECT_EQ(verdict(std::string("k = 1\0\n", 7)), "ok");
}

TEST(ConfigTextBounds, AHugeHeaderIsRefusedNotACrash) {
    // 300000 parts: this crashed both programs inside toml++.
    const std::string header = "[" + parts(300000) + "]\n";
    EXPECT_EQ(verdict(header), "t.toml:1:1" + too_deep);
    try {
        ConfigFile::parse(header, "t.toml");
        FAIL() << "loaded";
    } catch (const ConfigError& error) {
        EXPECT_EQ(std::string(error.what()), "t.toml:1:1" + too_deep);
    }
    EXPECT_THROW(ConfigFile::parse("[s]\n" + parts(300000) + " = 1\n", "t.toml"), ConfigError);
    EXPECT_THROW(ConfigFile::parse("k = " + repeat("[", 300000), "t.toml"), ConfigError);
    EXPECT_THROW(ConfigFile::parse("k = " + repeat("{a=", 300000), "t.toml"), ConfigError);
}

// toml++ 3.3 answers "is this Unicode white space?" with undefined behaviour for many code
// points (U+00A1..U+0499 among them: found by fuzz_config_file), and asks it wherever white
// space may stand. TOML 1.0 allows bytes outside ASCII only in strings and comments.
TEST(ConfigTextBounds, BytesOutsideAsciiOnlyInStringsAndComments) {
    const std::string gamma = "\xc9\xa3"; // U+0263
    const std::string outside = " outside a string or comment, where TOML allows none";
    EXPECT_EQ(verdict("[s]\nk = \"" + gamma + "\" # " + gamma + "\nl = '" + gamma + "'\nm = '''" +
                      gamma + "'''\nn = \"\"\"" + gamma + "\\n" + gamma + "\"\"\"\n"),
              "ok");
    EXPECT_EQ(verdict("[s]\nk" + gamma + " = 1\n"),
              "t.toml:2:2: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict("[s]\nk = 1" + gamma + "\n"),
              "t.toml:2:6: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict("[s]\nk = tru" + gamma + "\n"),
              "t.toml:2:8: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict("[s]\nk = \"x\"" + gamma + "\n"),
              "t.toml:2:8: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict("[s]\nk = [\"x\" " + gamma + "]\n"),
              "t.toml:2:10: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict("[s" + gamma + "]\n"), "t.toml:1:3: a byte outside ASCII (\\311)" + outside);
    EXPECT_EQ(verdict(gamma + "\n"), "t.toml:1:1: a byte outside ASCII (\\311)" + outside);
    // A byte order mark may open the file.
    EXPECT_EQ(verdict("\xef\xbb\xbf[s]\nk = 1\n"), "ok");
    EXPECT_EQ(verdict("k = 1\n\xef\xbb\xbf"), "t.toml:2:1: a byte outside ASCII (\\357)" + outside);
    // In a """ string, right after a backslash (an escape, or a line-ending one).
    const std::string after = " after a backslash in a \"\"\" string, where offstage takes none";
    EXPECT_EQ(verdict("k = \"\"\"a\\" + gamma + "\"\"\"\n"),
              "t.toml:1:10: a byte outside ASCII (\\311)" + after);
    EXPECT_EQ(verdict("k = \"\"\"a\\  \n\n  " + gamma + "\"\"\"\n"),
              "t.toml:3:3: a byte outside ASCII (\\311)" + after);
    // toml++ reads a """ string where a key belongs before it refuses it: the same rule.
    EXPECT_EQ(verdict("\"\"\"\n\"\\" + gamma + "k\n"),
              "t.toml:2:3: a byte outside ASCII (\\311)" + after);
    // A line-ending backslash does not swallow the closing quotes.
    EXPECT_EQ(verdict("k = \"\"\"a\\\n\"\"\"\n[" + parts(17) + "]\n"), "t.toml:3:1" + too_deep);
    // The input the fuzzer found, through the whole reader.
    EXPECT_THROW(ConfigFile::parse("\r\n[archive]\r\nlevel = 197-05-92\xc9\xa3"
                                   "07:32:00Z\r\nthreads = 0x10\r\n",
                                   "t.toml"),
                 ConfigError);
}

TEST(ConfigTextBounds, SizeIsBounded) {
    EXPECT_EQ(verdict(std::string(max_config_bytes, ' ')), "ok");
    EXPECT_EQ(verdict(std::string(max_config_bytes + 1, ' ')), "t.toml: larger than 1048576 bytes");
}

} // namespace
} // namespace offstage::platform
