// Unit tests of forced-shell/command_words.cpp: rsync's word rules, and refusal of everything
// a shell would interpret.
#include "forced-shell/command_words.hpp"
#include "forced-shell/refusal.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::forced_shell {
namespace {

std::vector<std::string> texts(std::string_view command) {
    std::vector<std::string> result;
    CommandWords words = CommandWords::split(command);
    for (const auto& word : words.words()) {
        result.push_back(word.text);
    }
    return result;
}

std::string refusal_of(std::string_view command) {
    try {
        CommandWords::split(command);
    } catch (const Refusal& refusal) {
        return refusal.what();
    }
    return "";
}

TEST(CommandWords, SplitsOnSingleSpaces) {
    EXPECT_EQ(texts("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/"),
              (std::vector<std::string>{"rsync", "--server", "--sender", "-logDtpre.iLsfxCIvu", ".",
                                        "2026-11-22/"}));
}

TEST(CommandWords, BackslashEscapesAreLiteralBytes) {
    EXPECT_EQ(texts("a my\\ dir \\$HOME \\;x \\\\ \\'q\\' \\`id\\`"),
              (std::vector<std::string>{"a", "my dir", "$HOME", ";x", "\\", "'q'", "`id`"}));
    EXPECT_TRUE(CommandWords::split("my\\ dir")[0].escaped);
    EXPECT_FALSE(CommandWords::split("plain")[0].escaped);
}

TEST(CommandWords, QuotesAreNotRsyncsAndAreRefused) {
    EXPECT_NE(refusal_of("rsync \"a b\""), "");
    EXPECT_NE(refusal_of("rsync 'a b'"), "");
}

TEST(CommandWords, WildcardsAndTildeStayLiteral) {
    // No shell ever sees the words and rsync's server does not glob them, so these are bytes
    // of a name (rsync's client sends them unescaped).
    EXPECT_EQ(texts("2026*/a?[x] ~root"), (std::vector<std::string>{"2026*/a?[x]", "~root"}));
}

TEST(CommandWords, NonUtf8BytesStayLiteral) {
    EXPECT_EQ(texts("caf\xe9 \xff\xfe"), (std::vector<std::string>{"caf\xe9", "\xff\xfe"}));
}

TEST(CommandWords, RefusesEveryUnescapedShellMetacharacter) {
    for (char c : std::string("!\"#$&'();<>`{|}")) {
        std::string command = std::string("backup") + c;
        EXPECT_NE(refusal_of(command), "") << command;
        std::string in_middle = std::string("rsync a") + c + "b";
        EXPECT_NE(refusal_of(in_middle), "") << in_middle;
    }
}

TEST(CommandWords, RefusesControlBytes) {
    for (int byte = 0; byte < 0x20; ++byte) {
        std::string command = "backup";
        command.insert(command.begin() + 3, static_cast<char>(byte));
        std::string why = refusal_of(command);
        EXPECT_NE(why.find("control character"), std::string::npos) << byte;
    }
    EXPECT_NE(refusal_of("backup\x7f"), "");
    EXPECT_NE(refusal_of(std::string("backup\0id", 9)), "");
    EXPECT_NE(refusal_of("backup\nid"), "");
    EXPECT_NE(refusal_of("backup\r"), "");
    EXPECT_NE(refusal_of("rsync\t--server"), "");
    // An escaped control byte is still a control byte.
    EXPECT_NE(refusal_of("a\\\nb"), "");
}

TEST(CommandWords, RefusesEmptyWords) {
    EXPECT_NE(refusal_of(""), "");
    EXPECT_NE(refusal_of(" backup"), "");
    EXPECT_NE(refusal_of("backup "), "");
    EXPECT_NE(refusal_of("rsync  --server"), "");
    EXPECT_NE(refusal_of(" "), "");
}

TEST(CommandWords, RefusesTrailingLoneBackslash) {
    EXPECT_NE(refusal_of("backup\\"), "");
}

TEST(CommandWords, CapsLength) {
    std::string at_cap(CommandWords::max_bytes, 'a');
    EXPECT_EQ(refusal_of(at_cap), "");
    std::string over = at_cap + "a";
    std::string why = refusal_of(over);
    EXPECT_NE(why.find("longer than 4096"), std::string::npos);
    // The refusal never echoes the input.
    EXPECT_LT(why.size(), 100u);
}

TEST(EscapeExcerpt, CapsAndEscapes) {
    EXPECT_EQ(escape_excerpt("ab\n\"\\", 10), "ab\\x0a\\x22\\x5c");
    EXPECT_EQ(escape_excerpt(std::string(100, 'x'), 4), "xxxx...");
}

} // namespace
} // namespace offstage::forced_shell
