// Every vector of the age testkit (tests/data/age-testkit/) must give exactly its expected
// outcome. The folder is listed when the test binary starts, so vectors added later run too.
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <gtest/gtest.h>
#include <map>

namespace offstage::age {
namespace {

const std::filesystem::path testkit_dir = std::filesystem::path(OFFSTAGE_TEST_DATA) / "age-testkit";

struct Vector {
    std::multimap<std::string, std::string> fields; // expect, payload, identity, passphrase...
    std::string age_file;
};

Vector load_vector(const std::string& name) {
    std::string content = test::read_file(testkit_dir / name);
    Vector vector;
    std::size_t position = 0;
    while (true) {
        std::size_t end = content.find('\n', position);
        if (end == std::string::npos) {
            throw std::runtime_error(name + ": no blank line after the vector's fields");
        }
        std::string line = content.substr(position, end - position);
        position = end + 1;
        if (line.empty()) {
            break;
        }
        std::size_t colon = line.find(": ");
        if (colon == std::string::npos) {
            throw std::runtime_error(name + ": malformed field line \"" + line + "\"");
        }
        vector.fields.emplace(line.substr(0, colon), line.substr(colon + 2));
    }
    vector.age_file = content.substr(position);
    return vector;
}

std::vector<std::string> vector_names() {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(testkit_dir)) {
        std::string name = entry.path().filename().string();
        if (entry.is_regular_file() && name != "LICENSE" && name != "README.md") {
            names.push_back(name);
        }
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string kind_name(AgeError::Kind kind) {
    switch (kind) {
    case AgeError::Kind::armor:
        return "armor failure";
    case AgeError::Kind::header:
        return "header failure";
    case AgeError::Kind::hmac:
        return "HMAC failure";
    case AgeError::Kind::no_match:
        return "no match";
    case AgeError::Kind::payload:
        return "payload failure";
    case AgeError::Kind::other:
        break;
    }
    return "other failure";
}

class AgeTestkit : public testing::TestWithParam<std::string> {};

// Decrypts all of `source` into `plaintext`, or throws what the Decryptor throws (with what
// it released before in `plaintext`).
void decrypt_all(const DecryptOptions& options, platform::ByteSource& source,
                 const std::string& name, std::string& plaintext) {
    Decryptor decryptor(options, source, name);
    std::vector<std::byte> buffer(10000);
    while (std::size_t got = decryptor.read(buffer)) {
        plaintext.append(reinterpret_cast<const char*>(buffer.data()), got);
    }
}

TEST_P(AgeTestkit, GivesTheExpectedOutcome) {
    Vector vector = load_vector(GetParam());
    ASSERT_EQ(vector.fields.count("expect"), 1u);
    std::string expect = vector.fields.find("expect")->second;

    DecryptOptions options;
    for (auto [it, end] = vector.fields.equal_range("identity"); it != end; ++it) {
        options.identities.push_back(X25519Identity::parse(it->second));
    }
    if (auto it = vector.fields.find("passphrase"); it != vector.fields.end()) {
        options.passphrase = it->second;
    }
    auto armored = vector.fields.find("armored");
    options.armored = armored != vector.fields.end() && armored->second == "yes";

    // Small reads from the source exercise every buffer boundary of the parser.
    test::StringSource source(vector.age_file, 7);
    std::string plaintext;
    std::string outcome = "success";
    std::string message;
    try {
        decrypt_all(options, source, GetParam(), plaintext);
    } catch (const AgeError& error) {
        outcome = kind_name(error.kind());
        message = error.what();
        // Every failure names the stream it is about.
        EXPECT_NE(message.find(GetParam()), std::string::npos) << message;
    }
    ASSERT_EQ(outcome, expect) << message;
    if (expect == "success") {
        ASSERT_EQ(vector.fields.count("payload"), 1u);
        EXPECT_EQ(test::sha256_hex(plaintext), vector.fields.find("payload")->second);
        if (options.armored == true) {
            // `offstage decrypt` detects the armor: that must find it too.
            options.armored.reset();
            test::StringSource again(vector.age_file);
            std::string detected;
            decrypt_all(options, again, GetParam(), detected);
            EXPECT_EQ(test::sha256_hex(detected), vector.fields.find("payload")->second);
        }
    } else {
        // Nothing came out of a file whose header failed; a payload failure may come after
        // whole authenticated chunks, never after a partial one.
        if (expect != "payload failure") {
            EXPECT_TRUE(plaintext.empty());
        } else {
            EXPECT_EQ(plaintext.size() % (64 * 1024), 0u);
        }
    }
}

std::string test_name(const testing::TestParamInfo<std::string>& info) {
    std::string name = info.param;
    std::replace_if(
        name.begin(), name.end(), [](char c) { return !std::isalnum(c); }, '_');
    return name;
}

INSTANTIATE_TEST_SUITE_P(Vectors, AgeTestkit, testing::ValuesIn(vector_names()), test_name);

} // namespace
} // namespace offstage::age
