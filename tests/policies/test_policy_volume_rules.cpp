// `exclude-volume PATTERN`: the rule kind of the OpenAFS source. Its patterns are volume-name
// globs, checked like every other line (errors with file:line:column), matched first-match in
// file order, and kept out of the path rules entirely.
#include "policies/policy_parser.hpp"
#include "policies/policy_set.hpp"

#include <gtest/gtest.h>

using namespace offstage::policies;

TEST(PolicyVolumeRules, ParsesExcludeVolumeLinesAndMatchesWholeNames) {
    PolicySet set = PolicySet::parse("exclude /tmp/\n"
                                     "exclude-volume scratch.*   # regenerable\n"
                                     "  exclude-volume\tuser.[a-c]??\n"
                                     "exclude-volume web.hcoop\n",
                                     "50-afs.policy");
    ASSERT_EQ(set.volume_rules().size(), 3u);
    EXPECT_EQ(set.volume_rules()[0].pattern, "scratch.*");
    EXPECT_EQ(set.volume_rules()[1].line, 3u);
    EXPECT_EQ(set.volume_rules()[2].file, "50-afs.policy");
    ASSERT_NE(set.match_volume("scratch.tmp"), nullptr);
    EXPECT_EQ(set.match_volume("scratch.tmp")->line, 2u);
    EXPECT_NE(set.match_volume("user.bob"), nullptr);
    EXPECT_EQ(set.match_volume("user.dan"), nullptr);
    EXPECT_EQ(set.match_volume("web.hcoop.backup"), nullptr); // the whole name, not a prefix
    EXPECT_EQ(set.match_volume("xscratch.tmp"), nullptr);
    // The path rules are what they were: one, and no volume pattern matches a path.
    ASSERT_EQ(set.rules().size(), 1u);
    EXPECT_EQ(set.match("/scratch.tmp", false), nullptr);
}

TEST(PolicyVolumeRules, AppendKeepsFileOrderAndCopiesKeepTheRules) {
    PolicySet first = PolicySet::parse("exclude-volume user.*\n", "10.policy");
    PolicySet later = PolicySet::parse("exclude-volume *\n", "90.policy");
    first.append(later);
    ASSERT_EQ(first.volume_rules().size(), 2u);
    EXPECT_EQ(first.match_volume("user.x")->file, "10.policy");
    EXPECT_EQ(first.match_volume("root.afs")->file, "90.policy");
    PolicySet copy = first;
    EXPECT_EQ(copy.volume_rules().size(), 2u);
}

TEST(PolicyVolumeRules, RefusesBadExcludeVolumeLinesWithTheirColumn) {
    struct Bad {
        const char* line;
        unsigned column;
        const char* message;
    };
    const Bad bad[] = {
        {"exclude-volume", 15, "expected a volume name pattern after 'exclude-volume'"},
        {"exclude-volume   # nothing", 18, "expected a volume name pattern"},
        {"exclude-volume /afs/user", 16, "not '/': volume names are not paths"},
        {"exclude-volume user.\xe9", 21, "expected a volume name pattern byte"},
        {"exclude-volume a b", 18, "expected end of line or a '#' comment after the pattern"},
    };
    for (const Bad& entry : bad) {
        std::vector<PolicyError> errors;
        std::vector<VolumeRule> rules;
        PolicyParser::parse(entry.line, "x.policy", errors, &rules);
        ASSERT_EQ(errors.size(), 1u) << entry.line;
        EXPECT_EQ(errors[0].column(), entry.column) << entry.line << ": " << errors[0].what();
        EXPECT_NE(errors[0].message().find(entry.message), std::string::npos) << errors[0].what();
        EXPECT_TRUE(rules.empty());
        EXPECT_THROW(PolicySet::parse(entry.line, "x.policy"), PolicyError);
    }
}
