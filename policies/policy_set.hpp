// The rules of the policy files (policy.d/*.policy), in order, compiled into an index by literal
// prefix: a lookup costs the rules that can match the path, not all rules, and first match wins.
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::policies {

class PolicyIndex;

enum class Verdict { exclude, expect, include };

// "exclude" | "expect" | "include"
std::string_view to_string(Verdict);

// A pattern matching exactly the literal `path` (wildcards, backslashes and whitespace escaped),
// e.g. for an exclude of a path that comes from the configuration:
// PolicySet::parse("exclude " + escape_pattern(root) + "/", config_file).
std::string escape_pattern(std::string_view path);

// `exclude-volume PATTERN`: an OpenAFS volume the AFS source leaves out (docs/afs.md). Its
// pattern is a glob over volume names (fnmatch(3): `*`, `?`, `[...]`, `\`), not a path, so it
// never takes part in matching files.
struct VolumeRule {
    std::string pattern; // as written
    std::string file;    // policy file path as given
    unsigned line;       // 1-based
};

struct Rule {
    Verdict verdict;
    std::string pattern; // as written
    std::string file;    // policy file path as given
    unsigned line;       // 1-based
};

// A bad policy line; what() is "FILE:LINE:COL: expected ..., found ...". Line 0 (and column 0)
// stands for the file as a whole, e.g. when it cannot be read: what() is then "FILE: ...".
class PolicyError : public std::runtime_error {
public:
    PolicyError(std::string file, unsigned line, unsigned column, std::string message);
    const std::string& file() const;
    unsigned line() const;
    unsigned column() const;
    const std::string& message() const;

private:
    std::string file_;
    unsigned line_;
    unsigned column_;
    std::string message_;
};

// Every rule of the policy files, in order, compiled so that lookup cost does not grow with
// files x rules.
class PolicySet {
public:
    PolicySet();
    PolicySet(const PolicySet&);
    PolicySet(PolicySet&&) noexcept;
    PolicySet& operator=(const PolicySet&);
    PolicySet& operator=(PolicySet&&) noexcept;
    ~PolicySet();

    // *.policy files of `directory` in byte order of their names. Throws the first PolicyError
    // (or std::system_error naming the file when unreadable).
    static PolicySet load_directory(const std::filesystem::path& directory);
    // Same, but collects every error of every file instead of throwing (for `offstage policy
    // check`).
    static std::vector<PolicyError> check_directory(const std::filesystem::path& directory);
    // One file.
    static PolicySet parse(std::string_view text, const std::string& file_name);
    // Rules of `later` come after ours.
    void append(const PolicySet& later);
    // The first rule matching `path` (absolute, '/'-separated, raw bytes, no trailing '/' except
    // "/"), or nullptr. `is_directory` lets a trailing-'/' pattern match the directory itself.
    const Rule* match(std::string_view path, bool is_directory) const;
    // A rule that decides `directory` AND every path below it (no earlier rule can match
    // anything below it), or nullptr. The walk prunes a directory whose subtree rule is an
    // exclude.
    const Rule* subtree_rule(std::string_view directory) const;
    const std::vector<Rule>& rules() const;

    // The first `exclude-volume` rule whose pattern matches the whole volume name, or nullptr.
    const VolumeRule* match_volume(std::string_view volume) const;
    const std::vector<VolumeRule>& volume_rules() const;

private:
    // The compiled patterns and their trie (policy_index.hpp): users of the API need not see it.
    std::vector<Rule> rules_;
    std::unique_ptr<PolicyIndex> index_;
    std::vector<VolumeRule> volume_rules_;
};

} // namespace offstage::policies
