// The allow-list of rsync server options for a read-only sender: ONE table, one row per option
// (a cluster letter, or a long name), with a strict value pattern and the reason it is safe
// (or, for a refused row, why it is refused). Anything not in the table is refused.
#pragma once

#include <span>
#include <string_view>

namespace offstage::forced_shell {

struct RsyncOption {
    enum class Verdict { allowed, refused };
    using ValueCheck = bool (*)(std::string_view value);

    char letter;                // the short option letter, or 0 for a long-only row
    std::string_view long_name; // without "--"; empty for a letter-only row
    bool takes_value;           // letters with a value take it attached (-B8192)
    ValueCheck accepts;         // the strict check for the value; nullptr when no value
    std::string_view pattern;   // the same check written as a regular expression, for readers
    Verdict verdict;
    std::string_view why; // allowed: why it is safe for a read-only sender; refused: why not
};

class RsyncOptionTable {
public:
    static std::span<const RsyncOption> rows();
    // The row for a letter, or for a long name given without "--"; nullptr when absent.
    static const RsyncOption* find_letter(char letter);
    static const RsyncOption* find_long(std::string_view name);
};

} // namespace offstage::forced_shell
