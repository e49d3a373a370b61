#include "policies/policy_index.hpp"

#include <boost/container/small_vector.hpp>

namespace offstage::policies {

namespace {

// Paths deeper than this still work; they just allocate.
using VisitVector = boost::container::small_vector<std::pair<std::size_t, std::size_t>, 32>;

std::string_view rest_of(std::string_view path, std::size_t offset) {
    // The root has no components; its rest is "" so that "/" patterns see it as a match.
    return path == "/" ? std::string_view() : path.substr(offset);
}

} // namespace

void PolicyIndex::add(GlobPattern pattern) {
    const std::size_t rule = patterns_.size();
    std::size_t node = 0;
    for (const std::string& component : pattern.literal_components()) {
        if (nodes_[node].first_below == none) {
            nodes_[node].first_below = rule; // rules come in order: the first one stays
        }
        auto child = nodes_[node].children.find(component);
        if (child == nodes_[node].children.end()) {
            nodes_.push_back(Node{});
            child = nodes_[node].children.emplace(component, nodes_.size() - 1).first;
        }
        node = child->second;
    }
    nodes_[node].rules.push_back(rule);
    patterns_.push_back(std::move(pattern));
}

template <typename Visits>
bool PolicyIndex::walk(std::string_view path, Visits& visits) const {
    visits.emplace_back(0, 0);
    if (path.empty() || path.front() != '/') {
        return false;
    }
    if (path == "/") {
        return true;
    }
    std::size_t node = 0;
    std::size_t begin = 1;
    while (true) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        auto child = nodes_[node].children.find(path.substr(begin, end - begin));
        if (child == nodes_[node].children.end()) {
            return false;
        }
        node = child->second;
        visits.emplace_back(node, end);
        if (end == path.size()) {
            return true;
        }
        begin = end + 1;
    }
}

template <typename Visits, typename Test>
std::size_t PolicyIndex::first_candidate(std::string_view path, const Visits& visits,
                                         Test test) const {
    // A k-way merge of the visited nodes' rule lists, which are each in rule order.
    boost::container::small_vector<std::size_t, 32> cursor(visits.size(), 0);
    while (true) {
        std::size_t best = none;
        std::size_t best_visit = 0;
        for (std::size_t v = 0; v < visits.size(); ++v) {
            const auto& rules = nodes_[visits[v].first].rules;
            if (cursor[v] < rules.size() && rules[cursor[v]] < best) {
                best = rules[cursor[v]];
                best_visit = v;
            }
        }
        if (best == none) {
            return none;
        }
        ++cursor[best_visit];
        if (test(best, rest_of(path, visits[best_visit].second))) {
            return best;
        }
    }
}

std::size_t PolicyIndex::match(std::string_view path, bool is_directory) const {
    if (path.empty() || path.front() != '/') {
        return none; // only absolute paths are walked
    }
    VisitVector visits;
    walk(path, visits);
    return first_candidate(path, visits, [&](std::size_t rule, std::string_view rest) {
        return patterns_[rule].matches_rest(rest, is_directory);
    });
}

std::size_t PolicyIndex::subtree_rule(std::string_view directory) const {
    if (directory.empty() || directory.front() != '/') {
        return none;
    }
    VisitVector visits;
    bool reached = walk(directory, visits);
    bool undecided = false; // an earlier rule may match something at or below the directory
    std::size_t found =
        first_candidate(directory, visits, [&](std::size_t rule, std::string_view rest) {
            const GlobPattern& pattern = patterns_[rule];
            if (pattern.matches_rest(rest, true)) {
                undecided = !pattern.tree();
                return true;
            }
            if (pattern.may_match_below(rest)) {
                undecided = true;
                return true;
            }
            return false;
        });
    if (found == none || undecided) {
        return none;
    }
    // Rules whose literal prefix goes below the directory come from the trie below it.
    if (reached && nodes_[visits.back().first].first_below < found) {
        return none;
    }
    return found;
}

} // namespace offstage::policies
