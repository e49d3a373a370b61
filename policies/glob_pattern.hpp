// One compiled pattern of the policy language: an NFA over raw bytes in which '*', '?' and byte
// classes never cross '/', '**' does, and a tree pattern (written with a trailing '/') also matches
// everything below what it matches. Matching is linear in the path length: no backtracking.
#pragma once

#include <bitset>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::policies {

class GlobPattern {
public:
    // What the parser turns the pattern text into (see policy_parser.cpp for the grammar).
    enum class ElementKind {
        one,                 // exactly one byte of `bytes` (a literal, '?' or a byte class)
        star,                // '*': any run of bytes but '/'
        globstar,            // '**' (not a whole component): any run of bytes, '/' included
        optional_directories // '**/' as whole component after a '/': "" or any run ending in '/'
    };
    struct Element {
        ElementKind kind;
        std::bitset<256> bytes; // for `one` only
        static Element literal(unsigned char byte);
    };

    // `elements` spell the pattern without its trailing '/'; `tree` says it had one.
    GlobPattern(const std::vector<Element>& elements, bool tree);

    // The leading path components without any wildcard, unescaped: the matcher's index key.
    const std::vector<std::string>& literal_components() const { return literal_components_; }
    bool tree() const { return tree_; }

    // `rest` is the path after its first literal_components().size() components: "" when
    // nothing follows them, else "/..." (the caller has compared the literal components).
    bool matches_rest(std::string_view rest, bool is_directory) const;
    // Whether some path rest + "/" + X could match, for some X. Never false when one could
    // (it may be true when none can: the walk then just does not prune).
    bool may_match_below(std::string_view rest) const;

private:
    static constexpr std::uint32_t no_state = UINT32_MAX;
    struct State {
        std::bitset<256> bytes; // the bytes this state consumes
        bool loops = false;     // consumes and stays (a run), else consumes and moves on
        // Moves that consume nothing, always to a later state: at most two per state, so the
        // automaton is linear in the pattern's length.
        std::uint32_t epsilon[2] = {no_state, no_state};
    };
    // One byte of input: `next` becomes the states reached from `current`; false when none.
    bool step(const std::uint64_t* current, std::uint64_t* next, unsigned char byte) const;
    bool accepting(const std::uint64_t* set) const;
    // Adds to `set` every state its states reach by epsilon moves.
    void close(std::uint64_t* set) const;
    void start(std::uint64_t* set) const;

    std::vector<std::string> literal_components_;
    std::vector<State> states_; // the accept state is states_.size()
    std::size_t words_ = 1;     // 64-bit words per state set
    // Up to 63 states (every default pattern): each state's epsilon closure as one word, for
    // the fast path of matches_rest(). Larger patterns close their state sets as they go: a
    // table of closures would grow with the square of the pattern's length.
    std::vector<std::uint64_t> closure_word_;
    bool tree_ = false;
    // Prefilters that reject most paths without running the NFA.
    std::string required_literal_; // the longest literal run: must occur in the rest
    std::string required_suffix_;  // the trailing literal run of a non-tree pattern
};

} // namespace offstage::policies
