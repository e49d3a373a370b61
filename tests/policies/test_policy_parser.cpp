// The line grammar: verdicts, comments, whitespace, and errors with file:line:column and what
// was expected.
#include "policies/policy_parser.hpp"
#include "policies/policy_set.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::policies {
namespace {

PolicyError parse_error(const std::string& text) {
    try {
        PolicySet::parse(text, "/etc/offstage/policy.d/50-test.policy");
    } catch (const PolicyError& error) {
        return error;
    }
    ADD_FAILURE() << "no error for: " << text;
    return PolicyError("", 0, 0, "");
}

void expect_error(const std::string& text, unsigned line, unsigned column,
                  const std::string& message) {
    PolicyError error = parse_error(text);
    EXPECT_EQ(error.file(), "/etc/offstage/policy.d/50-test.policy") << text;
    EXPECT_EQ(error.line(), line) << text;
    EXPECT_EQ(error.column(), column) << text;
    EXPECT_EQ(error.message(), message) << text;
    EXPECT_EQ(std::string(error.what()),
              "/etc/offstage/policy.d/50-test.policy:" + std::to_string(line) + ":" +
                  std::to_string(column) + ": " + message)
        << text;
}

TEST(PolicyParser, ReadsTheThreeVerdictsInOrderWithFileAndLine) {
    PolicySet set = PolicySet::parse("# comment\n"
                                     "exclude /proc/\n"
                                     "\n"
                                     "   expect\t/etc/passwd   # why: maintainer scripts\n"
                                     "include /var/lib/dpkg/status\n",
                                     "a.policy");
    ASSERT_EQ(set.rules().size(), 3U);
    EXPECT_EQ(set.rules()[0].verdict, Verdict::exclude);
    EXPECT_EQ(set.rules()[0].pattern, "/proc/");
    EXPECT_EQ(set.rules()[0].file, "a.policy");
    EXPECT_EQ(set.rules()[0].line, 2U);
    EXPECT_EQ(set.rules()[1].verdict, Verdict::expect);
    EXPECT_EQ(set.rules()[1].pattern, "/etc/passwd");
    EXPECT_EQ(set.rules()[1].line, 4U);
    EXPECT_EQ(set.rules()[2].verdict, Verdict::include);
    EXPECT_EQ(set.rules()[2].line, 5U);
    EXPECT_EQ(to_string(Verdict::exclude), "exclude");
    EXPECT_EQ(to_string(Verdict::expect), "expect");
    EXPECT_EQ(to_string(Verdict::include), "include");
}

TEST(PolicyParser, PatternIsKeptAsWritten) {
    PolicySet set = PolicySet::parse("exclude /a\\ b/[!x]*\n", "a.policy");
    ASSERT_EQ(set.rules().size(), 1U);
    EXPECT_EQ(set.rules()[0].pattern, "/a\\ b/[!x]*");
}

TEST(PolicyParser, CommentsAndBlankLinesAndCrlf) {
    PolicySet set = PolicySet::parse("\n#x\n   # indented comment\n\t\nexpect /a\r\n"
                                     "expect /b#not-a-comment\nexpect /c #comment\n",
                                     "a.policy");
    ASSERT_EQ(set.rules().size(), 3U);
    EXPECT_EQ(set.rules()[0].pattern, "/a");
    EXPECT_EQ(set.rules()[1].pattern, "/b#not-a-comment");
    EXPECT_EQ(set.rules()[2].pattern, "/c");
    EXPECT_NE(set.match("/b#not-a-comment", false), nullptr);
    EXPECT_EQ(set.match("/b", false), nullptr);
}

TEST(PolicyParser, NoFinalNewlineAndEmptyFile) {
    EXPECT_EQ(PolicySet::parse("exclude /a", "a.policy").rules().size(), 1U);
    EXPECT_TRUE(PolicySet::parse("", "a.policy").rules().empty());
    EXPECT_TRUE(PolicySet::parse("# only\n", "a.policy").rules().empty());
}

TEST(PolicyParser, UnknownVerdict) {
    expect_error("exclude /a\n  exlude /b\n", 2, 3,
                 "expected 'exclude', 'expect' or 'include', found 'exlude'");
    expect_error("Exclude /b\n", 1, 1,
                 "expected 'exclude', 'expect' or 'include', found 'Exclude'");
    expect_error("/etc/passwd\n", 1, 1,
                 "expected 'exclude', 'expect' or 'include', found '/etc/passwd'");
    expect_error("exclude#x /a\n", 1, 1,
                 "expected 'exclude', 'expect' or 'include', found 'exclude#x'");
}

TEST(PolicyParser, MissingPattern) {
    expect_error("exclude\n", 1, 8, "expected a pattern after 'exclude', found end of line");
    expect_error("expect   \n", 1, 10, "expected a pattern after 'expect', found end of line");
    expect_error("include # nothing\n", 1, 9, "expected a pattern after 'include', found '#'");
}

TEST(PolicyParser, RelativePattern) {
    expect_error("exclude *.pyc\n", 1, 9,
                 "expected '/' at the start of the pattern (patterns are absolute paths), found "
                 "'*.pyc'");
    expect_error("exclude ~/x\n", 1, 9,
                 "expected '/' at the start of the pattern (patterns are absolute paths), found "
                 "'~/x'");
}

TEST(PolicyParser, TrailingWords) {
    expect_error("exclude /a /b\n", 1, 12,
                 "expected end of line or a '#' comment after the pattern, found '/b'");
    expect_error("expect /a\tjunk # c\n", 1, 11,
                 "expected end of line or a '#' comment after the pattern, found 'junk'");
}

TEST(PolicyParser, EmptyAndDotComponents) {
    expect_error("exclude /a//b\n", 1, 12, "expected a path component between two '/', found '/'");
    expect_error("exclude //\n", 1, 10, "expected a path component between two '/', found '/'");
    expect_error("exclude /a/**//b\n", 1, 15,
                 "expected a path component between two '/', found '/'");
    expect_error("exclude /a/../b\n", 1, 12,
                 "expected a path component other than '.' or '..' (walked paths are "
                 "normalised), found '..'");
    expect_error("exclude /a/.\n", 1, 12,
                 "expected a path component other than '.' or '..' (walked paths are "
                 "normalised), found '.'");
    // Dots inside a name are fine.
    EXPECT_EQ(PolicySet::parse("exclude /a/.../.x/..y\n", "a.policy").rules().size(), 1U);
}

TEST(PolicyParser, TooManyStars) {
    expect_error("exclude /a/***\n", 1, 14, "expected at most two '*' in a row, found '*'");
}

TEST(PolicyParser, BadEscapes) {
    expect_error("exclude /a\\\n", 1, 12, "expected a byte after '\\', found end of line");
    expect_error("exclude /a\\/b\n", 1, 12,
                 "expected a byte other than '/' after '\\' ('/' separates components and "
                 "cannot be escaped), found '/'");
}

TEST(PolicyParser, BadClasses) {
    expect_error("exclude /a[bc\n", 1, 14,
                 "expected ']' to close the byte class opened at column 11, found end of line");
    expect_error("exclude /a[b c]\n", 1, 13,
                 "expected ']' to close the byte class opened at column 11, found whitespace "
                 "(write a literal space as '\\ ')");
    expect_error("exclude /a[]\n", 1, 13,
                 "expected ']' to close the byte class opened at column 11, found end of line");
    expect_error("exclude /a[z-a]\n", 1, 12,
                 "expected a range in increasing byte order, found 'z-a'");
    expect_error("exclude /a[x/]\n", 1, 13,
                 "expected a byte other than '/' in a byte class (a class never matches '/'), "
                 "found '/'");
}

TEST(PolicyParser, NulByte) {
    expect_error(std::string("exclude /a\0b\n", 13), 1, 11,
                 "expected a pattern byte (a path never contains NUL), found '\\x00'");
}

TEST(PolicyParser, NonAsciiIsShownEscapedInMessages) {
    expect_error("\xe9xclude /a\n", 1, 1,
                 "expected 'exclude', 'expect' or 'include', found '\\xe9xclude'");
}

TEST(PolicyParser, ParseThrowsTheFirstErrorOfTheFile) {
    expect_error("exclude /ok\nbad /x\nexclude relative\n", 2, 1,
                 "expected 'exclude', 'expect' or 'include', found 'bad'");
}

TEST(PolicyParser, ALineAtTheBoundIsAcceptedOneByteMoreIsAnErrorNamingFileAndLine) {
    // "exclude /*aaa...": the line is exactly the bound.
    const std::string head = "exclude /*";
    std::string at_bound = head + std::string(PolicyParser::max_line_bytes - head.size(), 'a');
    PolicySet set = PolicySet::parse("# fine\n" + at_bound + "\n", "a.policy");
    ASSERT_EQ(set.rules().size(), 1U);
    EXPECT_NE(set.match("/x" + std::string(PolicyParser::max_line_bytes - head.size(), 'a'), false),
              nullptr);

    std::string over = at_bound + "a";
    expect_error("expect /ok\n" + over + "\n", 2, PolicyParser::max_line_bytes + 1,
                 "expected a line of at most 4096 bytes, found " + std::to_string(over.size()) +
                     " bytes");
    // A long comment is no different: the bound is on lines.
    expect_error("#" + std::string(PolicyParser::max_line_bytes, ' ') + "\n", 1,
                 PolicyParser::max_line_bytes + 1,
                 "expected a line of at most 4096 bytes, found 4097 bytes");
}

} // namespace
} // namespace offstage::policies
