// The provider's command line split into words by rsync's own rules for a remote command
// (rsync 3.2.4+ safe_arg(): words separated by single spaces, `\X` is the literal byte X).
// Nothing is interpreted: a byte a shell would act on must arrive escaped or the split refuses.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::forced_shell {

class CommandWords {
public:
    // The longest command accepted, in bytes. rsync's own server command lines for a pull are
    // a few hundred bytes; anything near this cap is not a pull.
    static constexpr std::size_t max_bytes = 4096;

    struct Word {
        std::string text; // after unescaping
        bool escaped;     // whether the raw word held a backslash escape
    };

    // Throws Refusal when the command is empty or too long, holds a control byte (NUL, CR, LF,
    // TAB, DEL, ...), an empty word (leading, trailing or doubled space), a trailing lone
    // backslash, or an unescaped shell metacharacter (! " # $ & ' ( ) ; < > ` { | }).
    static CommandWords split(std::string_view command);

    const std::vector<Word>& words() const { return words_; }
    std::size_t size() const { return words_.size(); }
    const Word& operator[](std::size_t index) const { return words_[index]; }

private:
    std::vector<Word> words_;
};

} // namespace offstage::forced_shell
