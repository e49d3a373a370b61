#include "platform/printable_name.hpp"
#include "stager/mail/mail_settings.hpp"
#include "stager/mail/mime.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace offstage::mail {

using platform::printable_name;
namespace {

// A plain decoder, to read our quoted-printable back (the real-parser check is in
// test_mail_render and test_mail_mta, with Python's email package).
std::string decode_quoted_printable(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out += text[i];
        } else if (i + 1 < text.size() && text[i + 1] == '\n') {
            ++i; // soft break
        } else {
            out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        }
    }
    return out;
}

std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            if (start < text.size()) {
                lines.emplace_back(text.substr(start));
            }
            break;
        }
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

TEST(MailPrintableName, EscapesControlsInvalidUtf8AndBidiAlike) {
    EXPECT_EQ(printable_name("/etc/ssh/sshd_config"), "/etc/ssh/sshd_config");
    EXPECT_EQ(printable_name("/srv/caf\xc3\xa9.txt"), "/srv/caf\xc3\xa9.txt"); // valid UTF-8
    EXPECT_EQ(printable_name("/srv/caf\xff.txt"), "/srv/caf\\377.txt");
    EXPECT_EQ(printable_name("a\r\nBcc: x"), "a\\015\\012Bcc: x");
    EXPECT_EQ(printable_name("\x1b]0;title\x07"), "\\033]0;title\\007");
    EXPECT_EQ(printable_name("back\\slash"), "back\\\\slash");
    EXPECT_EQ(printable_name("x\xe2\x80\xaetxt.exe"), "x\\342\\200\\256txt.exe"); // U+202E
    EXPECT_EQ(printable_name("\xc2\x85"), "\\302\\205");                          // U+0085 (C1)
    EXPECT_EQ(printable_name("\xc0\xaf"), "\\300\\257");                          // overlong '/'
    EXPECT_EQ(printable_name("\xed\xa0\x80"), "\\355\\240\\200");                 // a surrogate
    EXPECT_EQ(printable_name("\x7f"), "\\177");
    EXPECT_EQ(printable_name(std::string_view("nul\0byte", 8)), "nul\\000byte");
}

TEST(MailMime, HeaderValuesLoseEveryLineBreak) {
    EXPECT_EQ(mime::header_safe("web1\r\nBcc: attacker@example.org"),
              "web1  Bcc: attacker@example.org");
    EXPECT_EQ(mime::header_safe("a\rb\nc\td\x7f"), "a b c d ");
}

TEST(MailMime, AnAsciiSubjectIsFoldedAtSpaces) {
    EXPECT_EQ(mime::unstructured_header("Subject", "offstage web1 2026-11-28: OK"),
              "Subject: offstage web1 2026-11-28: OK");
    std::string long_value;
    for (int i = 0; i < 30; ++i) {
        long_value += "word" + std::to_string(i) + " ";
    }
    long_value.pop_back();
    std::string header = mime::unstructured_header("Subject", long_value);
    for (const std::string& line : lines_of(header)) {
        EXPECT_LE(line.size(), 78u) << line;
    }
    // Unfolding (removing each newline) gives the value back.
    std::string unfolded;
    for (char c : header) {
        if (c != '\n') {
            unfolded += c;
        }
    }
    EXPECT_EQ(unfolded, "Subject: " + long_value);
    // CR/LF inside a value never folds: it is gone.
    EXPECT_EQ(mime::unstructured_header("Subject", "a\r\nBcc: x"), "Subject: a  Bcc: x");
}

TEST(MailMime, ANonAsciiSubjectIsEncodedWordsThatNeverSplitACharacter) {
    std::string value = "offstage h\xc3\xb4te-\xe6\x97\xa5\xe6\x9c\xac 2026-11-28: OK (";
    for (int i = 0; i < 20; ++i) {
        value += "\xe2\x82\xac"; // euro signs: 3 bytes each, to land on word boundaries
    }
    value += ")";
    std::string header = mime::unstructured_header("Subject", value);
    std::string decoded;
    for (const std::string& line : lines_of(header)) {
        EXPECT_LE(line.size(), 78u) << line;
        std::size_t start = line.find("=?UTF-8?B?");
        ASSERT_NE(start, std::string::npos) << line;
        std::size_t end = line.find("?=", start + 10);
        ASSERT_NE(end, std::string::npos);
        EXPECT_LE(end + 2 - start, 75u);
        std::string encoded = line.substr(start + 10, end - start - 10);
        std::string bytes(encoded.size(), '\0');
        int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                                     reinterpret_cast<const unsigned char*>(encoded.data()),
                                     static_cast<int>(encoded.size()));
        ASSERT_GE(length, 0);
        bytes.resize(static_cast<std::size_t>(length));
        while (!encoded.empty() && encoded.back() == '=') {
            encoded.pop_back();
            bytes.pop_back();
        }
        // Each word is whole UTF-8 on its own.
        EXPECT_EQ(printable_name(bytes), bytes) << line;
        decoded += bytes;
    }
    EXPECT_EQ(decoded, value);
}

TEST(MailMime, QuotedPrintableRoundTripsAnyTextWithinSeventySixColumns) {
    std::string text = "plain line\n"
                       "From the top: an mbox would write >From here\n"
                       ".a lone dot line\n"
                       ".\n"
                       "equals = sign and trailing space \n"
                       "tab\there\n"
                       "caf\xc3\xa9 \xe2\x80\xae\n" +
                       std::string(300, 'x') + "\n" + std::string(100, '=') + "\n" +
                       std::string(74, 'y') + "From the middle\n";
    std::string encoded = mime::quoted_printable(text);
    EXPECT_EQ(decode_quoted_printable(encoded), text);
    for (const std::string& line : lines_of(encoded)) {
        EXPECT_LE(line.size(), 76u) << line;
        EXPECT_NE(line.rfind("From ", 0), 0u) << line;
        EXPECT_NE(line.rfind('.', 0), 0u) << line;
        EXPECT_TRUE(line.empty() || line.back() != ' ') << line;
        for (char c : line) {
            auto byte = static_cast<unsigned char>(c);
            EXPECT_TRUE(byte >= 0x20 && byte < 0x7f) << line;
        }
    }
    EXPECT_NE(encoded.find("=46rom the top"), std::string::npos) << encoded;
    EXPECT_NE(encoded.find("caf=C3=A9 =E2=80=AE"), std::string::npos) << encoded;
    EXPECT_NE(encoded.find("trailing space=20\n"), std::string::npos) << encoded;
}

TEST(MailMime, Base64IsTheStandardOne) {
    EXPECT_EQ(mime::base64(""), "");
    EXPECT_EQ(mime::base64("f"), "Zg==");
    EXPECT_EQ(mime::base64("fo"), "Zm8=");
    EXPECT_EQ(mime::base64("foobar"), "Zm9vYmFy");
}

TEST(MailSettings, AddressesThatCouldBreakAHeaderAreRefused) {
    for (const char* good : {"root", "admin@example.org", "backup-admins+offstage@mail.example.org",
                             "first.last@host1"}) {
        EXPECT_FALSE(address_problem(good)) << good;
    }
    for (const char* bad :
         {"", "root\r\nBcc: x@example.org", "root Bcc: x@example.org", "Admin <admin@example.org>",
          "a,b@example.org", "admin@", "admin@exa mple.org", ".root", "ro..ot", "admin@-.org\n",
          "\"quoted\"@example.org", "root;x", "admin@example.org>"}) {
        auto problem = address_problem(bad);
        EXPECT_TRUE(problem) << bad;
        if (problem) {
            EXPECT_EQ(problem->find('\n'), std::string::npos) << *problem;
        }
    }
    MailSettings settings;
    settings.sendmail_args = {"-odi"};
    EXPECT_EQ(settings.sendmail_command(),
              (std::vector<std::string>{"/usr/sbin/sendmail", "-t", "-oi", "-odi"}));
}

} // namespace
} // namespace offstage::mail
