// Compiled patterns indexed by their literal leading components, in a trie of path components:
// a lookup tests only the rules whose literal prefix is a prefix of the path, in rule order, so
// its cost follows the path's depth and the rules that could match it, not the number of rules.
// Each trie node also knows the first rule anywhere below it, which decides subtree pruning.
#pragma once

#include "policies/glob_pattern.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::policies {

class PolicyIndex {
public:
    static constexpr std::size_t none = SIZE_MAX;

    // Patterns must be added in rule order: the n-th added is rule n.
    void add(GlobPattern pattern);
    const GlobPattern& pattern(std::size_t rule) const { return patterns_[rule]; }

    // The first rule matching `path`, or none.
    std::size_t match(std::string_view path, bool is_directory) const;
    // The first rule matching `directory` when it is a tree rule that therefore matches
    // everything below, and no earlier rule may match anything below; else none.
    std::size_t subtree_rule(std::string_view directory) const;

private:
    struct Node {
        std::map<std::string, std::size_t, std::less<>> children;
        std::vector<std::size_t> rules; // whose literal components end here, in rule order
        std::size_t first_below = none; // the first rule of any strict descendant
    };
    // Follows `path` down the trie, adding (node, where the path's rest starts for the rules of
    // that node) for each node visited; returns whether it reached the node of the path itself.
    template <typename Visits>
    bool walk(std::string_view path, Visits& visits) const;
    // Calls `test(rule, rest)` for every candidate rule of `visits` in rule order until it
    // returns true; returns that rule or none.
    template <typename Visits, typename Test>
    std::size_t first_candidate(std::string_view path, const Visits& visits, Test test) const;

    std::vector<Node> nodes_{Node{}};
    std::vector<GlobPattern> patterns_;
};

} // namespace offstage::policies
