#include "forced-shell/command_words.hpp"

#include "forced-shell/refusal.hpp"

#include <cstdio>

namespace offstage::forced_shell {

namespace {

// The characters rsync's safe_arg() escapes in a file name (SHELL_CHARS minus space, TAB and
// backslash, which are handled on their own). rsync never sends one of these unescaped, so an
// unescaped one means someone is talking to a shell, not to rsync.
constexpr std::string_view shell_metacharacters = "!\"#$&'();<>`{|}";

std::string byte_name(unsigned char byte) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "0x%02x", byte);
    return buffer;
}

} // namespace

CommandWords CommandWords::split(std::string_view command) {
    if (command.empty()) {
        throw Refusal("empty command");
    }
    if (command.size() > max_bytes) {
        throw Refusal("command longer than " + std::to_string(max_bytes) + " bytes");
    }
    // Control bytes are refused before anything else looks at the words: a NUL would cut the
    // string for C code downstream, a newline would start a second command for a shell or a
    // second record in a log.
    for (char c : command) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            throw Refusal("control character " + byte_name(byte) + " in command");
        }
    }

    CommandWords result;
    Word current{"", false};
    bool in_word = false;
    for (std::size_t i = 0; i < command.size(); ++i) {
        char c = command[i];
        if (c == ' ') {
            if (!in_word) {
                throw Refusal("empty word in command (leading, trailing or doubled space)");
            }
            result.words_.push_back(std::move(current));
            current = Word{"", false};
            in_word = false;
            continue;
        }
        in_word = true;
        if (c == '\\') {
            if (i + 1 == command.size()) {
                throw Refusal("command ends with a lone backslash");
            }
            current.text += command[++i];
            current.escaped = true;
        } else if (shell_metacharacters.find(c) != std::string_view::npos) {
            throw Refusal(std::string("unescaped shell metacharacter '") + c + "' in command");
        } else {
            current.text += c;
        }
    }
    if (!in_word) {
        throw Refusal("empty word in command (leading, trailing or doubled space)");
    }
    result.words_.push_back(std::move(current));
    return result;
}

} // namespace offstage::forced_shell
