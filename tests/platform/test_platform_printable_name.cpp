// platform::printable_name: what a hostile name becomes on a terminal.
#include "platform/printable_name.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::platform {
namespace {

TEST(PrintableName, PlainAsciiAndUtf8PassUnchanged) {
    EXPECT_EQ(printable_name("etc/hosts"), "etc/hosts");
    EXPECT_EQ(printable_name("a name with spaces ~!@#$%^&*()'\""),
              "a name with spaces ~!@#$%^&*()'\"");
    EXPECT_EQ(printable_name("caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80"),
              "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x98\x80");
    EXPECT_EQ(printable_name(""), "");
}

TEST(PrintableName, TerminalControlsBecomeOctalEscapes) {
    EXPECT_EQ(printable_name("\033[2J\033[Hrestored OK\r\n"),
              "\\033[2J\\033[Hrestored OK\\015\\012");
    EXPECT_EQ(printable_name(std::string("nul\0byte", 8)), "nul\\000byte");
    EXPECT_EQ(printable_name("\033]0;title\007"), "\\033]0;title\\007");
    EXPECT_EQ(printable_name("del\x7f"), "del\\177");
    EXPECT_EQ(printable_name("tab\there"), "tab\\011here");
}

TEST(PrintableName, BytesThatAreNotUtf8BecomeOctalEscapes) {
    EXPECT_EQ(printable_name("caf\xe9-\xff\xfe.txt"), "caf\\351-\\377\\376.txt");
    EXPECT_EQ(printable_name("\xc3"), "\\303") << "truncated sequence";
    EXPECT_EQ(printable_name("\xc0\xaf"), "\\300\\257") << "overlong '/'";
    EXPECT_EQ(printable_name("\xed\xa0\x80"), "\\355\\240\\200") << "surrogate";
    EXPECT_EQ(printable_name("\xf4\x90\x80\x80"), "\\364\\220\\200\\200") << "above U+10FFFF";
    EXPECT_EQ(printable_name("\x80x"), "\\200x") << "stray continuation byte";
}

TEST(PrintableName, InvisibleUnicodeControlsAreEscaped) {
    // C1 CSI (U+009B) acts like ESC [ on some terminals.
    EXPECT_EQ(printable_name("\xc2\x9b"
                             "2J"),
              "\\302\\2332J");
    // RIGHT-TO-LEFT OVERRIDE would show "txt.exe" as "exe.txt".
    EXPECT_EQ(printable_name("a\xe2\x80\xae"
                             "exe.txt"),
              "a\\342\\200\\256exe.txt");
    EXPECT_EQ(printable_name("\xe2\x81\xa6x\xe2\x81\xa9"), "\\342\\201\\246x\\342\\201\\251");
    EXPECT_EQ(printable_name("line\xe2\x80\xa8"
                             "sep"),
              "line\\342\\200\\250sep");
    EXPECT_EQ(printable_name("\xc2\xa0nbsp"), "\xc2\xa0nbsp") << "U+00A0 is printable";
}

TEST(PrintableName, ABackslashIsDoubledSoEscapesReadBackUnambiguously) {
    EXPECT_EQ(printable_name("a\\033b"), "a\\\\033b");
    EXPECT_NE(printable_name("a\\033b"), printable_name("a\033b"));
}

TEST(PrintableName, ALimitCutsBeforeAWholeCharacterAndSaysSo) {
    EXPECT_EQ(printable_name("abcdef", 3), "abc...");
    EXPECT_EQ(printable_name("abc", 3), "abc");
    EXPECT_EQ(printable_name("ab\033def", 3), "ab\\033...");
    // "é" is two bytes: cutting after its first would leave half a character.
    EXPECT_EQ(printable_name("ab\xc3\xa9z", 3), "ab...");
}

TEST(PrintableMessage, EscapesAlikeButKeepsBackslashesOfNamesAlreadyEscaped) {
    std::string message = "open " + printable_name("/srv/a\033b") + ": denied\033[2J";
    EXPECT_EQ(printable_message(message), "open /srv/a\\033b: denied\\033[2J");
    EXPECT_EQ(printable_message(printable_message(message)), printable_message(message));
    EXPECT_EQ(printable_message("caf\xe9\n"), "caf\\351\\012");
}

} // namespace
} // namespace offstage::platform
