// A naive reference for the policy matcher, written straight from the language definition
// (docs/policy-language.md): first match wins, each pattern tried by plain recursive glob
// matching over its text as written. The equivalence test and the parser's fuzz target hold the
// compiled matcher (trie index, NFA, prefilters, subtree pruning) to it. Only for patterns the
// parser accepted. Memoised on (pattern offset, path offset), so that no pattern makes it
// exponential.
#pragma once

#include "policies/policy_set.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace offstage::test {

// Reads one byte class at pattern[0] == '['; returns whether `byte` is in it and sets `length`.
inline bool class_contains(std::string_view pattern, unsigned char byte, std::size_t& length) {
    std::size_t i = 1;
    bool negate = false;
    if (pattern[i] == '!' || pattern[i] == '^') {
        negate = true;
        ++i;
    }
    bool found = false;
    bool first = true;
    while (first || pattern[i] != ']') {
        first = false;
        auto read = [&] {
            if (pattern[i] == '\\') {
                ++i;
            }
            return static_cast<unsigned char>(pattern[i++]);
        };
        unsigned char low = read();
        unsigned char high = low;
        if (pattern[i] == '-' && pattern[i + 1] != ']') {
            ++i;
            high = read();
        }
        found = found || (byte >= low && byte <= high);
    }
    length = i + 1;
    return byte != '/' && (found != negate);
}

class ReferenceGlob {
public:
    ReferenceGlob(std::string_view pattern, std::string_view path)
        : pattern_(pattern)
        , path_(path)
        , memo_((pattern.size() + 1) * (path.size() + 1), unknown) {}

    bool matches() { return glob(0, 0); }

private:
    static constexpr signed char unknown = -1;

    bool glob(std::size_t p, std::size_t s) {
        signed char& known = memo_[p * (path_.size() + 1) + s];
        if (known == unknown) {
            known = compute(p, s) ? 1 : 0;
        }
        return known == 1;
    }

    bool compute(std::size_t p, std::size_t s) {
        std::string_view pattern = pattern_.substr(p);
        std::string_view path = path_.substr(s);
        if (pattern.empty()) {
            return path.empty();
        }
        // "/**/" (not at the end): "/" followed by zero or more whole components.
        if (pattern.starts_with("/**/") && pattern.size() > 4) {
            // Zero components: "/**/X" is then "/X" (which may itself start with "/**/").
            if (glob(p + 3, s)) {
                return true;
            }
            // Otherwise "/" then "**" then "/" as usual: fall through to the literal '/'.
        }
        if (pattern.starts_with("**")) {
            for (std::size_t i = 0; i <= path.size(); ++i) {
                if (glob(p + 2, s + i)) {
                    return true;
                }
            }
            return false;
        }
        if (pattern[0] == '*') {
            for (std::size_t i = 0; i <= path.size(); ++i) {
                if (glob(p + 1, s + i)) {
                    return true;
                }
                if (i < path.size() && path[i] == '/') {
                    return false;
                }
            }
            return false;
        }
        if (path.empty()) {
            return false;
        }
        if (pattern[0] == '?') {
            return path[0] != '/' && glob(p + 1, s + 1);
        }
        if (pattern[0] == '[') {
            std::size_t length = 0;
            bool in = class_contains(pattern, static_cast<unsigned char>(path[0]), length);
            return in && glob(p + length, s + 1);
        }
        if (pattern[0] == '\\') {
            return path[0] == pattern[1] && glob(p + 2, s + 1);
        }
        return path[0] == pattern[0] && glob(p + 1, s + 1);
    }

    std::string_view pattern_;
    std::string_view path_;
    std::vector<signed char> memo_;
};

inline bool reference_glob(std::string_view pattern, std::string_view path) {
    return ReferenceGlob(pattern, path).matches();
}

// Whether the pattern ends in an unescaped '/' (a tree pattern).
inline bool reference_is_tree(std::string_view pattern) {
    bool last_is_plain_slash = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        last_is_plain_slash = pattern[i] == '/';
        if (pattern[i] == '\\') {
            ++i; // the escaped byte, whatever it is
            last_is_plain_slash = false;
        }
    }
    return pattern.size() > 1 && last_is_plain_slash;
}

inline bool reference_matches(const std::string& pattern, std::string_view path,
                              bool is_directory) {
    if (path == "/") {
        return pattern == "/"; // the root is matched only by "/"
    }
    if (pattern == "/") {
        return true;
    }
    bool tree = reference_is_tree(pattern);
    std::string_view body =
        tree ? std::string_view(pattern).substr(0, pattern.size() - 1) : std::string_view(pattern);
    if (reference_glob(body, path) && (!tree || is_directory)) {
        return true;
    }
    if (tree) {
        // Below a directory that the body matches.
        for (std::size_t i = 1; i < path.size(); ++i) {
            if (path[i] == '/' && reference_glob(body, path.substr(0, i))) {
                return true;
            }
        }
    }
    return false;
}

inline const policies::Rule* reference_match(const policies::PolicySet& set, std::string_view path,
                                             bool is_directory) {
    for (const policies::Rule& rule : set.rules()) {
        if (reference_matches(rule.pattern, path, is_directory)) {
            return &rule;
        }
    }
    return nullptr;
}

} // namespace offstage::test
