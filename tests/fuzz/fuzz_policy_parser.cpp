// libFuzzer target over the policy parser and compiler (policies/): the text of a policy file
// an admin, a package or a configuration tool wrote, read by every scan and run.
//
// Properties, checked on every input (abort on violation):
// - it parses, or it throws a PolicyError naming a line of the input (1..lines) and a column
//   (1..4097), with "FILE:LINE:COL: " in front of its message; nothing else escapes, nothing
//   crashes (ASan, UBSan); `offstage policy check`'s collecting parse finds the same first
//   error;
// - memory stays bounded (-rss_limit_mb when fuzzing; a line is at most 4096 bytes, and what a
//   rule costs is linear in it);
// - when it parses, the compiled matcher (trie, NFA, prefilters, subtree pruning) agrees with
//   the naive reference of tests/policies/reference_matcher.hpp on paths made from the input's
//   own patterns: each pattern with its wildcards taken literally and with them filled in, the
//   directories above those, and a path below each.
#include "policies/policy_parser.hpp"
#include "policies/policy_set.hpp"
#include "tests/policies/reference_matcher.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

namespace {

using offstage::policies::PolicyError;
using offstage::policies::PolicyParser;
using offstage::policies::PolicySet;
using offstage::policies::Rule;

constexpr const char* file_name = "fuzz.policy";

[[noreturn]] void violated(const std::string& what) {
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n", what.c_str());
    std::abort();
}

std::size_t line_count(std::string_view text) {
    std::size_t lines = 0;
    for (std::size_t begin = 0; begin < text.size(); ++lines) {
        std::size_t end = text.find('\n', begin);
        begin = end == std::string_view::npos ? text.size() : end + 1;
    }
    return lines;
}

void check_error(const PolicyError& error, std::size_t lines) {
    if (error.file() != file_name || error.line() < 1 || error.line() > lines ||
        error.column() < 1 || error.column() > PolicyParser::max_line_bytes + 1) {
        violated("an error that names no line of the input: " + std::string(error.what()));
    }
    std::string prefix = std::string(file_name) + ":" + std::to_string(error.line()) + ":" +
                         std::to_string(error.column()) + ": ";
    if (std::string_view(error.what()).substr(0, prefix.size()) != prefix) {
        violated("an error message without FILE:LINE:COL: " + std::string(error.what()));
    }
}

// A walked path: absolute, no empty component, no trailing '/', no NUL.
std::string as_walked_path(std::string_view bytes) {
    std::string path;
    for (char c : bytes) {
        if (c == '\0' || (c == '/' && !path.empty() && path.back() == '/')) {
            continue;
        }
        path.push_back(c);
    }
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    if (path.empty() || path.front() != '/') {
        path.insert(path.begin(), '/');
    }
    return path;
}

// The pattern with escapes resolved and every wildcard filled in with something it matches.
std::string filled_in(std::string_view pattern) {
    std::string path;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '\\' && i + 1 < pattern.size()) {
            path.push_back(pattern[++i]);
        } else if (c == '*') {
            path += (i + 1 < pattern.size() && pattern[i + 1] == '*') ? "d/e" : "x";
            i += (i + 1 < pattern.size() && pattern[i + 1] == '*') ? 1 : 0;
        } else if (c == '?') {
            path.push_back('q');
        } else if (c == '[') {
            // The class's first byte (which may not be in a negated class: a miss is fine too).
            std::size_t j = i + 1;
            if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) {
                ++j;
            }
            if (j < pattern.size() && pattern[j] == '\\') {
                ++j;
            }
            path.push_back(j < pattern.size() ? pattern[j] : 'c');
            for (i = j + 1; i < pattern.size() && pattern[i] != ']'; ++i) {
                if (pattern[i] == '\\') {
                    ++i;
                }
            }
        } else {
            path.push_back(c);
        }
    }
    return path;
}

// The reference costs the product of pattern and path lengths per test, in time and memory:
// its comparisons stay within these (the parser and compiler see every input whole).
constexpr std::size_t max_compared_pattern = 1024;
constexpr std::size_t max_compared_path = 256;
constexpr std::size_t max_compared_paths = 120;

std::vector<std::string> paths_from(const PolicySet& set) {
    std::vector<std::string> paths = {"/", "/a"};
    for (const Rule& rule : set.rules()) {
        for (const std::string& path :
             {as_walked_path(rule.pattern), as_walked_path(filled_in(rule.pattern))}) {
            if (path.size() > max_compared_path) {
                continue;
            }
            paths.push_back(path);
            paths.push_back(path == "/" ? "/below" : path + "/below");
            // Every directory above it.
            for (std::size_t at = path.find('/', 1); at != std::string::npos;
                 at = path.find('/', at + 1)) {
                paths.push_back(path.substr(0, at));
            }
        }
        if (paths.size() > max_compared_paths) {
            break;
        }
    }
    return paths;
}

void check_matcher(const PolicySet& set) {
    for (const Rule& rule : set.rules()) {
        if (rule.pattern.size() > max_compared_pattern) {
            return;
        }
    }
    auto name = [](const Rule* rule) {
        return rule == nullptr ? std::string("none")
                               : std::to_string(rule->line) + " (" + rule->pattern + ")";
    };
    for (const std::string& path : paths_from(set)) {
        for (bool is_directory : {false, true}) {
            if (path == "/" && !is_directory) {
                continue; // the root is a directory
            }
            const Rule* expected = offstage::test::reference_match(set, path, is_directory);
            const Rule* actual = set.match(path, is_directory);
            if (actual != expected) {
                violated("match of " + path + (is_directory ? " (directory)" : "") + ": compiled " +
                         name(actual) + ", reference " + name(expected));
            }
        }
        // A rule that decides a subtree wholesale decides the directory and what is below it.
        if (const Rule* rule = set.subtree_rule(path)) {
            std::string base = path == "/" ? "" : path;
            for (const std::string& below : {path, base + "/x", base + "/x/y.pyc"}) {
                const Rule* expected = offstage::test::reference_match(set, below, true);
                if (expected != rule) {
                    violated("subtree of " + path + " decided by " + name(rule) +
                             ", but the reference decides " + below + " by " + name(expected));
                }
            }
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    const std::size_t lines = line_count(text);

    std::vector<PolicyError> errors;
    PolicyParser::parse(text, file_name, errors);
    for (const PolicyError& error : errors) {
        check_error(error, lines);
    }

    PolicySet set;
    try {
        set = PolicySet::parse(text, file_name);
    } catch (const PolicyError& error) {
        check_error(error, lines);
        if (errors.empty() || errors.front().what() != std::string(error.what())) {
            violated("parse threw " + std::string(error.what()) +
                     " but the collecting parse found " +
                     (errors.empty() ? std::string("nothing") : errors.front().what()));
        }
        return 0;
    }
    if (!errors.empty()) {
        violated("parse accepted what the collecting parse refused: " +
                 std::string(errors.front().what()));
    }
    check_matcher(set);
    return 0;
}
