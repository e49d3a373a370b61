#include "stager/selection/path_encoding.hpp"

#include <gtest/gtest.h>

namespace offstage::selection {
namespace {

std::string text(std::string_view path) {
    std::string out;
    append_text_escaped(out, path);
    return out;
}

std::string json(std::string_view path) {
    std::string out;
    append_json_string(out, path);
    return out;
}

TEST(PathEncoding, TextKeepsValidUtf8AndEscapesEverythingElse) {
    EXPECT_EQ(text("/home/u/my file"), "/home/u/my file");
    EXPECT_EQ(text("/home/u/r\xc3\xa9sum\xc3\xa9"), "/home/u/r\xc3\xa9sum\xc3\xa9");
    EXPECT_EQ(text("/root/r\xe9sum\xe9"), "/root/r\\xe9sum\\xe9");
    EXPECT_EQ(text("/a\\b"), "/a\\\\b");
    EXPECT_EQ(text("/new\nline\t\x1b[0m"), "/new\\x0aline\\x09\\x1b[0m");
    EXPECT_EQ(text("/c1\xc2\x85"), "/c1\\xc2\\x85"); // NEL, a C1 control
    EXPECT_EQ(text("/overlong\xc0\xaf"), "/overlong\\xc0\\xaf");
    EXPECT_EQ(text("/surrogate\xed\xa0\x80"), "/surrogate\\xed\\xa0\\x80");
    EXPECT_EQ(text("/truncated\xe2\x82"), "/truncated\\xe2\\x82");
    EXPECT_EQ(text("/euro\xe2\x82\xac/emoji\xf0\x9f\x98\x80"),
              "/euro\xe2\x82\xac/emoji\xf0\x9f\x98\x80");
}

TEST(PathEncoding, JsonUsesSurrogateEscapesForInvalidBytes) {
    EXPECT_EQ(json("/home/u/my file"), "\"/home/u/my file\"");
    EXPECT_EQ(json("/q\"b\\"), "\"/q\\\"b\\\\\"");
    EXPECT_EQ(json("/nl\n\x7f"), "\"/nl\\u000a\\u007f\"");
    EXPECT_EQ(json("/r\xc3\xa9sum\xc3\xa9"), "\"/r\xc3\xa9sum\xc3\xa9\"");
    EXPECT_EQ(json("/r\xe9sum\xe9"), "\"/r\\udce9sum\\udce9\"");
    EXPECT_EQ(json("/\xf4\x90\x80\x80"), "\"/\\udcf4\\udc90\\udc80\\udc80\""); // > U+10FFFF
}

TEST(PathEncoding, Utf8SequenceLengths) {
    EXPECT_EQ(utf8_sequence_length("a", 0), 1u);
    EXPECT_EQ(utf8_sequence_length("\xc3\xa9", 0), 2u);
    EXPECT_EQ(utf8_sequence_length("\xe2\x82\xac", 0), 3u);
    EXPECT_EQ(utf8_sequence_length("\xf0\x9f\x98\x80", 0), 4u);
    EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);
    EXPECT_EQ(utf8_sequence_length("\xe0\x80\x80", 0), 0u); // overlong
    EXPECT_EQ(utf8_sequence_length("\xc3", 0), 0u);         // truncated
}

} // namespace
} // namespace offstage::selection
