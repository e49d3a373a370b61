// PolicySet: first match wins across files, directory loading in name order, error collection,
// and the subtree decisions the walk prunes with.
#include "policies/policy_set.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <system_error>

namespace offstage::policies {
namespace {

using test::TempDir;
using test::write_file;

std::string decide(const PolicySet& set, std::string_view path, bool is_directory = false) {
    const Rule* rule = set.match(path, is_directory);
    if (rule == nullptr) {
        return "none";
    }
    return std::string(to_string(rule->verdict)) + " " + rule->file + ":" +
           std::to_string(rule->line);
}

std::string subtree(const PolicySet& set, std::string_view directory) {
    const Rule* rule = set.subtree_rule(directory);
    if (rule == nullptr) {
        return "none";
    }
    return std::string(to_string(rule->verdict)) + " " + rule->file + ":" +
           std::to_string(rule->line);
}

TEST(PolicySet, FirstMatchWins) {
    PolicySet set = PolicySet::parse("expect /var/lib/app/keep\n"
                                     "exclude /var/lib/app/\n"
                                     "expect /var/lib/\n"
                                     "include /var/lib/app/keep\n",
                                     "p");
    EXPECT_EQ(decide(set, "/var/lib/app/keep"), "expect p:1");
    EXPECT_EQ(decide(set, "/var/lib/app/other"), "exclude p:2");
    EXPECT_EQ(decide(set, "/var/lib/app", true), "exclude p:2");
    EXPECT_EQ(decide(set, "/var/lib/other"), "expect p:3");
    EXPECT_EQ(decide(set, "/var/log/x"), "none");
}

TEST(PolicySet, FirstMatchWinsAcrossIndexDepths) {
    // A wildcard rule near the root that comes first beats a literal deeper one, and the reverse.
    PolicySet set = PolicySet::parse("exclude /**/*.pyc\n"
                                     "expect /usr/lib/python3/x.pyc\n"
                                     "expect /srv/data/\n"
                                     "exclude /**/*.tmp\n",
                                     "p");
    EXPECT_EQ(decide(set, "/usr/lib/python3/x.pyc"), "exclude p:1");
    EXPECT_EQ(decide(set, "/srv/data/y.tmp"), "expect p:3");
    EXPECT_EQ(decide(set, "/srv/other/y.tmp"), "exclude p:4");
}

TEST(PolicySet, AppendPutsLaterRulesAfter) {
    PolicySet set = PolicySet::parse("exclude /a/\n", "first");
    set.append(PolicySet::parse("expect /a/b\nexpect /c\n", "second"));
    EXPECT_EQ(decide(set, "/a/b"), "exclude first:1");
    EXPECT_EQ(decide(set, "/c"), "expect second:2");
    ASSERT_EQ(set.rules().size(), 3U);
    EXPECT_EQ(set.rules()[2].file, "second");
    set.append(set); // appending itself doubles the rules without corrupting them
    ASSERT_EQ(set.rules().size(), 6U);
    EXPECT_EQ(decide(set, "/c"), "expect second:2");
    PolicySet copy = set;
    EXPECT_EQ(decide(copy, "/a/x"), "exclude first:1");
    PolicySet moved = std::move(copy);
    EXPECT_EQ(decide(moved, "/c"), "expect second:2");
}

TEST(PolicySet, LoadDirectoryReadsPolicyFilesInByteOrder) {
    TempDir dir("policies");
    write_file(dir / "50-b.policy", "expect /x\n");
    write_file(dir / "10-a.policy", "exclude /x\n");
    write_file(dir / "90-c.policy", "include /y\n");
    write_file(dir / "README", "not a policy\n");
    write_file(dir / "20-x.policy.dpkg-old", "bad line\n");
    write_file(dir / ".05-hidden.policy", "bad line\n");
    std::filesystem::create_directory(dir / "30-dir.policy");
    PolicySet set = PolicySet::load_directory(dir.path());
    ASSERT_EQ(set.rules().size(), 3U);
    EXPECT_EQ(set.rules()[0].file, (dir / "10-a.policy").string());
    EXPECT_EQ(set.rules()[1].file, (dir / "50-b.policy").string());
    EXPECT_EQ(set.rules()[2].file, (dir / "90-c.policy").string());
    EXPECT_EQ(set.match("/x", false)->verdict, Verdict::exclude);
    EXPECT_EQ(set.match("/y", false)->verdict, Verdict::include);
    EXPECT_TRUE(PolicySet::check_directory(dir.path()).empty());
}

TEST(PolicySet, LoadDirectoryThrowsTheFirstError) {
    TempDir dir("policies");
    write_file(dir / "10-a.policy", "exclude /ok\nexclude relative\n");
    write_file(dir / "20-b.policy", "bogus /x\n");
    try {
        PolicySet::load_directory(dir.path());
        FAIL() << "no error";
    } catch (const PolicyError& error) {
        EXPECT_EQ(error.file(), (dir / "10-a.policy").string());
        EXPECT_EQ(error.line(), 2U);
        EXPECT_EQ(error.column(), 9U);
    }
}

TEST(PolicySet, CheckDirectoryCollectsEveryErrorOfEveryFile) {
    TempDir dir("policies");
    write_file(dir / "10-a.policy", "exclude /ok\nexclude relative\nexpect /a//b\n");
    write_file(dir / "20-b.policy", "bogus /x\nexpect /fine\ninclude /[x\n");
    auto errors = PolicySet::check_directory(dir.path());
    ASSERT_EQ(errors.size(), 4U);
    EXPECT_EQ(errors[0].file(), (dir / "10-a.policy").string());
    EXPECT_EQ(errors[0].line(), 2U);
    EXPECT_EQ(errors[1].line(), 3U);
    EXPECT_EQ(errors[1].column(), 11U);
    EXPECT_EQ(errors[2].file(), (dir / "20-b.policy").string());
    EXPECT_EQ(errors[2].line(), 1U);
    EXPECT_EQ(errors[3].line(), 3U);
    EXPECT_EQ(std::string(errors[3].what()),
              (dir / "20-b.policy").string() +
                  ":3:12: expected ']' to close the byte class opened at column 10, found end of "
                  "line");
}

TEST(PolicySet, MissingDirectoryNamesIt) {
    TempDir dir("policies");
    auto missing = dir / "nope";
    try {
        PolicySet::load_directory(missing);
        FAIL() << "no error";
    } catch (const std::system_error& error) {
        EXPECT_NE(std::string(error.what()).find(missing.string()), std::string::npos)
            << error.what();
        EXPECT_EQ(error.code(), std::errc::no_such_file_or_directory);
    }
    auto errors = PolicySet::check_directory(missing);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors[0].file(), missing.string());
    EXPECT_EQ(errors[0].line(), 0U);
    EXPECT_EQ(std::string(errors[0].what()).rfind(missing.string() + ": cannot list", 0), 0U)
        << errors[0].what();
}

TEST(PolicySet, SubtreeRuleOfATreeRule) {
    PolicySet set = PolicySet::parse("exclude /proc/\n"
                                     "expect /home/*/\n"
                                     "exclude /var/cache/\n",
                                     "p");
    EXPECT_EQ(subtree(set, "/proc"), "exclude p:1");
    EXPECT_EQ(subtree(set, "/proc/1/task"), "exclude p:1");
    EXPECT_EQ(subtree(set, "/home/alice"), "expect p:2");
    EXPECT_EQ(subtree(set, "/home"), "none"); // /home itself is not matched
    EXPECT_EQ(subtree(set, "/var"), "none");
    EXPECT_EQ(subtree(set, "/var/cache"), "exclude p:3");
    EXPECT_EQ(subtree(set, "/"), "none");
}

TEST(PolicySet, NoSubtreeRuleWhenAnEarlierRuleReachesBelow) {
    PolicySet set = PolicySet::parse("expect /var/cache/keep/\n"
                                     "exclude /**/*.pyc\n"
                                     "exclude /var/cache/\n"
                                     "exclude /usr/lib/python3/\n"
                                     "exclude /srv\n"
                                     "expect /srv/\n"
                                     "exclude /tmp/x*\n"
                                     "exclude /tmp/\n"
                                     "exclude /opt/a\n"
                                     "exclude /opt/\n",
                                     "p");
    // The earlier expect lies below /var/cache; *.pyc may match anything anywhere.
    EXPECT_EQ(subtree(set, "/var/cache"), "none");
    EXPECT_EQ(subtree(set, "/usr/lib/python3"), "none");
    // An earlier non-tree rule decides /srv itself but not below.
    EXPECT_EQ(subtree(set, "/srv"), "none");
    // /tmp/x* can match below /tmp but not below /tmp/y.
    EXPECT_EQ(subtree(set, "/tmp"), "none");
    EXPECT_EQ(subtree(set, "/tmp/y"), "none"); // *.pyc still could
    PolicySet without_pyc = PolicySet::parse("exclude /tmp/x*\nexclude /tmp/\nexclude /opt/a\n"
                                             "exclude /opt/\n",
                                             "q");
    EXPECT_EQ(subtree(without_pyc, "/tmp"), "none");
    EXPECT_EQ(subtree(without_pyc, "/tmp/y"), "exclude q:2");
    EXPECT_EQ(subtree(without_pyc, "/tmp/x1"), "none"); // decided by the non-tree /tmp/x*
    // An earlier literal rule /opt/a lies below /opt but not below /opt/b.
    EXPECT_EQ(subtree(without_pyc, "/opt"), "none");
    EXPECT_EQ(subtree(without_pyc, "/opt/b"), "exclude q:4");
    EXPECT_EQ(subtree(without_pyc, "/opt/a"), "none");
}

TEST(PolicySet, EscapePatternMatchesExactlyThePath) {
    for (std::string path :
         {"/srv/offstage", "/srv/off stage", "/srv/[x]*?", "/a\\b#c\td", "/srv/\xff"}) {
        PolicySet set = PolicySet::parse("exclude " + escape_pattern(path) + "/\n", "staging");
        EXPECT_NE(set.match(path, true), nullptr) << path;
        EXPECT_NE(set.match(path + "/2026-11-22/files.tar.zst.age", false), nullptr) << path;
        EXPECT_EQ(set.match(path + "x", true), nullptr) << path;
    }
    PolicySet set = PolicySet::parse("exclude " + escape_pattern("/s[x]") + "\n", "p");
    EXPECT_EQ(set.match("/sx", false), nullptr);
}

} // namespace
} // namespace offstage::policies
