// The grammar of policy files, in one place: lines of `exclude|expect|include PATTERN`,
// `exclude-volume VOLUME-PATTERN` and comments, and the pattern syntax. Every bad line becomes one
// PolicyError naming file:line:column and what was expected; a bad line is never skipped silently.
#pragma once

#include "policies/glob_pattern.hpp"
#include "policies/policy_set.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace offstage::policies {

class PolicyParser {
public:
    // The longest line, in bytes without its newline; a longer one is an error naming its file
    // and line. It bounds every pattern, and with it what one rule may cost to compile (linear
    // in the pattern) and to match. PATH_MAX: a longer pattern names no path a tool could open.
    static constexpr std::size_t max_line_bytes = 4096;

    struct ParsedRule {
        Rule rule;
        GlobPattern pattern;
    };

    // Parses one file's text. Appends the first error of each bad line to `errors` and goes
    // on with the next line, so that `offstage policy check` reports them all at once.
    // `exclude-volume` rules are checked always and appended to `volume_rules` when given.
    static std::vector<ParsedRule> parse(std::string_view text, const std::string& file_name,
                                         std::vector<PolicyError>& errors,
                                         std::vector<VolumeRule>* volume_rules = nullptr);
};

} // namespace offstage::policies
