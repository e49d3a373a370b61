// The two codecs OpenSSL lacks (strict unpadded base64, Bech32) and the key string formats.
#include "platform/bech32.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/base64.hpp"
#include "stager/age/identity.hpp"
#include "stager/age/recipient.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace offstage::age {

using platform::decode_bech32;
using platform::encode_bech32;
namespace {

std::vector<std::uint8_t> bytes(std::string_view text) {
    return std::vector<std::uint8_t>(text.begin(), text.end());
}

// The identity of the testkit vectors, and its recipient as age-keygen -y prints it.
constexpr const char* testkit_identity =
    "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6";

TEST(AgeBase64, EncodesUnpaddedStandardAlphabet) {
    EXPECT_EQ(encode_base64_unpadded(bytes("")), "");
    EXPECT_EQ(encode_base64_unpadded(bytes("f")), "Zg");
    EXPECT_EQ(encode_base64_unpadded(bytes("fo")), "Zm8");
    EXPECT_EQ(encode_base64_unpadded(bytes("foo")), "Zm9v");
    EXPECT_EQ(encode_base64_unpadded(std::vector<std::uint8_t>{0xfb, 0xff}), "+/8");
}

TEST(AgeBase64, RoundTripsEveryLength) {
    for (std::size_t size = 0; size < 200; ++size) {
        std::string data = test::random_string(size);
        auto encoded = encode_base64_unpadded(bytes(data));
        EXPECT_EQ(encoded.find('='), std::string::npos);
        auto decoded = decode_base64_unpadded(encoded);
        ASSERT_TRUE(decoded) << size;
        EXPECT_EQ(std::string(decoded->begin(), decoded->end()), data);

        std::string padded;
        append_base64_padded(bytes(data), padded);
        EXPECT_EQ(padded.size() % 4, 0u);
        auto unpadded = decode_base64_padded(padded);
        ASSERT_TRUE(unpadded) << size;
        EXPECT_EQ(std::string(unpadded->begin(), unpadded->end()), data);
    }
}

TEST(AgeBase64, RejectsWhatTheSpecRejects) {
    for (const char* bad :
         {"Zg=", "Zg==", "Zh", "Zm9", "Z", "Zm9v\n", "Zm 9v", "Zm9v!", "Zm-v", "Zm9w\r", "Zm9_"}) {
        EXPECT_FALSE(decode_base64_unpadded(bad)) << bad;
    }
    EXPECT_EQ(*decode_base64_unpadded("Zm8"), bytes("fo"));
    // "Zm9" would decode to "fo" with a non-zero leftover bit: two spellings, so it is refused.
    EXPECT_FALSE(decode_base64_unpadded("Zm9"));
    for (const char* bad : {"Zg", "Zg=", "Zh==", "Zm9=", "Zg===", "Z===", "=Zg=", "Zg=A"}) {
        EXPECT_FALSE(decode_base64_padded(bad)) << bad;
    }
    EXPECT_EQ(*decode_base64_padded("Zg=="), bytes("f"));
}

TEST(AgeBech32, MatchesBip173Vectors) {
    auto a = decode_bech32("A12UEL5L");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->hrp, "A");
    EXPECT_TRUE(a->data.empty());
    EXPECT_TRUE(decode_bech32("a12uel5l"));
    EXPECT_TRUE(decode_bech32("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw"));
    for (const char* bad : {"A12uEL5L", "a12uel5m", "1pzry9x0s0muk", "pzry9x0s0muk", "a1b2c3",
                            "x1b4n0q5v", "li1dgmt3", "abc1\x7f"}) {
        EXPECT_FALSE(decode_bech32(bad)) << bad;
    }
    EXPECT_EQ(encode_bech32("a", {}), "a12uel5l");
}

TEST(AgeBech32, RoundTripsAndDetectsAnyChangedCharacter) {
    std::string data = test::random_string(32);
    std::string text = encode_bech32("age", bytes(data));
    auto decoded = decode_bech32(text);
    ASSERT_TRUE(decoded);
    EXPECT_EQ(std::string(decoded->data.begin(), decoded->data.end()), data);
    for (std::size_t i = 4; i < text.size(); ++i) {
        std::string changed = text;
        changed[i] = changed[i] == 'q' ? 'p' : 'q';
        EXPECT_FALSE(decode_bech32(changed)) << changed;
    }
}

TEST(AgeKeys, IdentityStringsRoundTripAndGiveTheirRecipient) {
    auto identity = X25519Identity::parse(testkit_identity);
    EXPECT_EQ(identity.to_string(), testkit_identity);
    auto recipient = identity.recipient();
    EXPECT_TRUE(recipient.to_string().starts_with("age1"));
    EXPECT_EQ(X25519Recipient::parse(recipient.to_string()), recipient);

    auto generated = X25519Identity::generate();
    EXPECT_EQ(X25519Identity::parse(generated.to_string()).recipient(), generated.recipient());
    EXPECT_NE(generated.to_string(), X25519Identity::generate().to_string());
}

TEST(AgeKeys, RejectsWrongCaseWrongKindAndBadChecksum) {
    std::string recipient = X25519Identity::parse(testkit_identity).recipient().to_string();
    std::string upper = recipient;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_THROW(X25519Recipient::parse(upper), AgeError);
    EXPECT_THROW(X25519Recipient::parse(testkit_identity), AgeError);
    EXPECT_THROW(X25519Recipient::parse(recipient.substr(0, recipient.size() - 1) + "x"), AgeError);
    std::string lower = testkit_identity;
    for (char& c : lower) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    EXPECT_THROW(X25519Identity::parse(lower), AgeError);
    EXPECT_THROW(X25519Identity::parse(recipient), AgeError);
}

TEST(AgeKeys, IdentityFilesAllowCommentsAndNameFileAndLineWithoutTheSecret) {
    test::TempDir dir;
    auto recipient = X25519Identity::parse(testkit_identity).recipient().to_string();
    auto good = test::write_file(dir / "key.txt",
                                 "# created: 2026-01-01T00:00:00Z\n# public key: " + recipient +
                                     "\n\n" + testkit_identity + "\n");
    auto identities = load_identities_file(good);
    ASSERT_EQ(identities.size(), 1u);
    EXPECT_EQ(identities[0].to_string(), testkit_identity);

    std::string broken_secret = std::string(testkit_identity).substr(0, 40) + "QQQQ";
    auto bad = test::write_file(dir / "bad.txt", "# a comment\n" + broken_secret + "\n");
    try {
        load_identities_file(bad);
        FAIL() << "a corrupt identity was accepted";
    } catch (const AgeError& error) {
        std::string message = error.what();
        EXPECT_NE(message.find(bad.string() + ":2:"), std::string::npos) << message;
        EXPECT_EQ(message.find(broken_secret.substr(16, 20)), std::string::npos) << message;
    }
    EXPECT_THROW(load_identities_file(test::write_file(dir / "empty.txt", "# nothing\n")),
                 AgeError);
    EXPECT_THROW(load_identities_file(dir / "missing.txt"), AgeError);
}

TEST(AgeKeys, RecipientFilesAllowCommentsAndNameFileAndLine) {
    test::TempDir dir;
    auto a = X25519Identity::generate().recipient().to_string();
    auto b = X25519Identity::generate().recipient().to_string();
    auto good = test::write_file(dir / "r.txt", "# admins\n" + a + "\n\n  " + b + "  \n");
    auto recipients = load_recipients_file(good);
    ASSERT_EQ(recipients.size(), 2u);
    EXPECT_EQ(recipients[1].to_string(), b);
    auto bad = test::write_file(dir / "bad.txt", a + "\n# ok\nage1nonsense\n");
    try {
        load_recipients_file(bad);
        FAIL() << "a bad recipient was accepted";
    } catch (const AgeError& error) {
        EXPECT_NE(std::string(error.what()).find(bad.string() + ":3:"), std::string::npos)
            << error.what();
    }
}

} // namespace
} // namespace offstage::age
