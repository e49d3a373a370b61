// The compiled matcher (trie index, NFA, prefilters, subtree pruning) against a naive reference
// written straight from the language definition: first match wins, each pattern tried by plain
// recursive glob matching. Random rule sets and paths over a small alphabet, so that they
// actually collide.
#include "policies/policy_set.hpp"
#include "tests/policies/reference_matcher.hpp"

#include <gtest/gtest.h>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::policies {
namespace {

using test::reference_match;

class RandomPolicies {
public:
    explicit RandomPolicies(unsigned seed)
        : random_(seed) {}

    std::size_t pick(std::size_t n) {
        return std::uniform_int_distribution<std::size_t>(0, n - 1)(random_);
    }

    std::string path_component() {
        static const std::vector<std::string> names = {"a",   "b",    "ab",    "ba",  "aa", "a*",
                                                       "[a]", "\xff", "a\xff", "b.c", ".a"};
        return names[pick(names.size())];
    }

    std::string path() {
        std::string result;
        std::size_t depth = 1 + pick(5);
        for (std::size_t i = 0; i < depth; ++i) {
            result += "/" + path_component();
        }
        return result;
    }

    std::string pattern_component() {
        static const std::vector<std::string> pieces = {
            "a",    "b",    "ab",          "*",   "?",   "[ab]",   "[!a]",
            "[^b]", "**",   "a*",          "*b",  "\\*", "a\\[a]", "[a-b]",
            "[]a]", "\xff", "[\x80-\xff]", "*.c", "a**", "**b",    ".a"};
        std::string result = pieces[pick(pieces.size())];
        if (pick(4) == 0) {
            result += pieces[pick(pieces.size())];
        }
        while (result.find("***") != std::string::npos) {
            result.erase(result.find("***"), 1);
        }
        return result;
    }

    std::string pattern() {
        if (pick(40) == 0) {
            return "/";
        }
        std::string result;
        std::size_t depth = 1 + pick(4);
        for (std::size_t i = 0; i < depth; ++i) {
            result += "/" + pattern_component();
        }
        if (pick(3) == 0) {
            result += "/";
        }
        return result;
    }

    std::string policy_text() {
        static const char* verdicts[] = {"exclude", "expect", "include"};
        std::string text;
        std::size_t count = 1 + pick(8);
        for (std::size_t i = 0; i < count; ++i) {
            text += std::string(verdicts[pick(3)]) + " " + pattern() + "\n";
        }
        return text;
    }

private:
    std::mt19937 random_;
};

TEST(PolicyMatcherEquivalence, MatchAgreesWithNaiveFirstMatch) {
    RandomPolicies random(20261122);
    std::size_t matched = 0;
    std::size_t compared = 0;
    for (int set_number = 0; set_number < 400; ++set_number) {
        std::string text = random.policy_text();
        PolicySet set = PolicySet::parse(text, "random.policy");
        for (int i = 0; i < 200; ++i) {
            std::string path = random.path();
            bool is_directory = random.pick(2) == 0;
            const Rule* expected = reference_match(set, path, is_directory);
            const Rule* actual = set.match(path, is_directory);
            ASSERT_EQ(actual, expected)
                << "path " << path << (is_directory ? " (directory)" : "") << "\nrules:\n"
                << text << "compiled: " << (actual ? actual->pattern : "none")
                << ", reference: " << (expected ? expected->pattern : "none");
            ++compared;
            matched += expected != nullptr;
        }
    }
    // The alphabet is small enough that matches are common, and not universal.
    EXPECT_GT(matched, compared / 10);
    EXPECT_LT(matched, compared * 9 / 10);
}

TEST(PolicyMatcherEquivalence, SubtreeRuleDecidesEveryPathBelow) {
    RandomPolicies random(42);
    std::size_t pruned = 0;
    for (int set_number = 0; set_number < 300; ++set_number) {
        std::string text = random.policy_text();
        PolicySet set = PolicySet::parse(text, "random.policy");
        for (int i = 0; i < 60; ++i) {
            std::string directory = random.path();
            const Rule* rule = set.subtree_rule(directory);
            if (rule == nullptr) {
                continue;
            }
            ++pruned;
            ASSERT_EQ(reference_match(set, directory, true), rule) << directory << "\n" << text;
            for (int j = 0; j < 40; ++j) {
                std::string below = directory + random.path();
                bool is_directory = random.pick(2) == 0;
                ASSERT_EQ(reference_match(set, below, is_directory), rule)
                    << "subtree of " << directory << " decided by " << rule->pattern << ", but not "
                    << below << "\n"
                    << text;
            }
        }
    }
    EXPECT_GT(pruned, 100U); // the property was actually exercised
}

TEST(PolicyMatcherEquivalence, SubtreeRuleFoundWhenEarlierRulesCannotReachBelow) {
    // Not only sound but useful: an earlier rule elsewhere (wildcards included) does not stop
    // a literal tree rule from pruning, because the matcher checks what it could match.
    RandomPolicies random(7);
    for (int i = 0; i < 500; ++i) {
        std::string elsewhere = random.path();
        PolicySet set = PolicySet::parse("expect " + elsewhere + "x/\nexclude /zz/\n", "p");
        std::string below = "/zz" + random.path();
        EXPECT_EQ(set.subtree_rule(below), &set.rules()[1]) << elsewhere;
        EXPECT_EQ(set.subtree_rule("/zz"), &set.rules()[1]) << elsewhere;
    }
}

} // namespace
} // namespace offstage::policies
