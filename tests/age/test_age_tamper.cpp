// Tampered, truncated and misdirected files: each fails with an AgeError of the right kind whose
// message names the file and what failed, and nothing unauthenticated is ever released.
#include "stager/age/age_error.hpp"
#include "stager/age/base64.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "tests/age/memory_streams.hpp"

#include <gtest/gtest.h>

namespace offstage::age {
namespace {

constexpr std::size_t chunk = 64 * 1024;
constexpr std::size_t sealed = chunk + 16;
constexpr const char* name = "tampered.age";

struct Outcome {
    std::string released; // what read() handed out before the failure
    std::optional<AgeError::Kind> kind;
    std::string message;
};

Outcome decrypt(const X25519Identity& identity, const std::string& file) {
    Outcome outcome;
    DecryptOptions options;
    options.identities = {identity};
    test::StringSource source(file);
    try {
        Decryptor decryptor(options, source, name);
        std::vector<std::byte> buffer(sealed * 4);
        while (std::size_t got = decryptor.read(buffer)) {
            outcome.released.append(reinterpret_cast<const char*>(buffer.data()), got);
        }
    } catch (const AgeError& error) {
        outcome.kind = error.kind();
        outcome.message = error.what();
    }
    return outcome;
}

class AgeTamper : public testing::Test {
protected:
    void SetUp() override {
        EncryptOptions options;
        options.recipients = {identity.recipient()};
        plaintext = test::random_string(2 * chunk + 5000); // three chunks, the last short
        test::StringSink sink;
        Encryptor encryptor(options, sink);
        encryptor.write(std::as_bytes(std::span(plaintext)));
        encryptor.finish();
        file = sink.data;
        std::size_t mac_line = file.find("\n--- ") + 1;
        header_end = file.find('\n', mac_line) + 1;
        payload = header_end + 16; // after the nonce
        ASSERT_EQ(file.size(), payload + 3 * 16 + plaintext.size());
        ASSERT_EQ(decrypt(identity, file).released, plaintext);
    }

    // Expects a failure of `kind` whose message names the file and contains `what`.
    void expect_failure(const std::string& tampered, AgeError::Kind kind, const std::string& what,
                        std::size_t released = 0) {
        Outcome outcome = decrypt(identity, tampered);
        ASSERT_TRUE(outcome.kind) << "the tampered file decrypted";
        EXPECT_EQ(*outcome.kind, kind) << outcome.message;
        EXPECT_TRUE(outcome.message.starts_with(std::string(name) + ": ")) << outcome.message;
        EXPECT_NE(outcome.message.find(what), std::string::npos) << outcome.message;
        // Only whole, authenticated chunks before the damage came out, and they are right.
        EXPECT_EQ(outcome.released.size(), released);
        EXPECT_EQ(outcome.released, plaintext.substr(0, outcome.released.size()));
    }

    static std::string flip(std::string data, std::size_t at, unsigned bit = 0) {
        data[at] = static_cast<char>(data[at] ^ (1 << bit));
        return data;
    }

    X25519Identity identity = X25519Identity::generate();
    std::string plaintext;
    std::string file;
    std::size_t header_end = 0;
    std::size_t payload = 0;
};

TEST_F(AgeTamper, FlippedBitInTheVersionLine) {
    expect_failure(flip(file, 3), AgeError::Kind::header, "line 1");
}

TEST_F(AgeTamper, FlippedBitInTheHeaderMac) {
    std::size_t mac_at = file.find("\n--- ") + 5;
    auto mac = decode_base64_unpadded(file.substr(mac_at, 43));
    ASSERT_TRUE(mac);
    (*mac)[7] ^= 0x10;
    std::string tampered = file;
    tampered.replace(mac_at, 43, encode_base64_unpadded(*mac));
    expect_failure(tampered, AgeError::Kind::hmac, "header MAC mismatch");
}

TEST_F(AgeTamper, AddedStanzaBreaksTheHeaderMac) {
    std::string tampered = file;
    tampered.insert(file.find("\n--- ") + 1, "-> grease x\n\n");
    expect_failure(tampered, AgeError::Kind::hmac, "header MAC mismatch");
}

TEST_F(AgeTamper, FlippedBitInTheWrappedFileKey) {
    // The stanza body is the line after "-> X25519 ...": re-encode it with one bit changed.
    std::size_t body_at = file.find('\n', file.find("-> X25519")) + 1;
    std::size_t body_end = file.find('\n', body_at);
    auto body = decode_base64_unpadded(file.substr(body_at, body_end - body_at));
    ASSERT_TRUE(body);
    (*body)[3] ^= 1;
    std::string tampered = file;
    tampered.replace(body_at, body_end - body_at, encode_base64_unpadded(*body));
    expect_failure(tampered, AgeError::Kind::no_match, "no identity matches");
}

TEST_F(AgeTamper, FlippedBitInThePayloadNonce) {
    expect_failure(flip(file, header_end + 4), AgeError::Kind::payload,
                   "payload chunk 1 failed authentication");
}

TEST_F(AgeTamper, FlippedBitInTheFirstChunk) {
    expect_failure(flip(file, payload + 100, 5), AgeError::Kind::payload,
                   "payload chunk 1 failed authentication");
}

TEST_F(AgeTamper, FlippedBitInTheSecondChunkReleasesOnlyTheFirst) {
    expect_failure(flip(file, payload + sealed + 12345), AgeError::Kind::payload,
                   "payload chunk 2 failed authentication", chunk);
}

TEST_F(AgeTamper, FlippedBitInATag) {
    expect_failure(flip(file, payload + 2 * sealed - 3, 7), AgeError::Kind::payload,
                   "payload chunk 2 failed authentication", chunk);
    expect_failure(flip(file, file.size() - 1), AgeError::Kind::payload,
                   "payload chunk 3 failed authentication", 2 * chunk);
}

TEST_F(AgeTamper, TruncatedInsideTheHeader) {
    expect_failure(file.substr(0, header_end - 10), AgeError::Kind::header,
                   "ends inside the header");
    expect_failure(file.substr(0, header_end + 7), AgeError::Kind::header,
                   "before the payload nonce");
}

TEST_F(AgeTamper, TruncatedMidChunk) {
    expect_failure(file.substr(0, payload + sealed + 1000), AgeError::Kind::payload,
                   "payload chunk 2 failed authentication", chunk);
    expect_failure(file.substr(0, file.size() - 1), AgeError::Kind::payload,
                   "payload chunk 3 failed authentication", 2 * chunk);
}

TEST_F(AgeTamper, TruncatedAtAChunkBoundary) {
    expect_failure(file.substr(0, payload + 2 * sealed), AgeError::Kind::payload,
                   "without a final chunk (truncated at a chunk boundary)", 2 * chunk);
    expect_failure(file.substr(0, payload), AgeError::Kind::payload, "no payload");
}

TEST_F(AgeTamper, AppendedByte) {
    // After a short final chunk the byte lengthens that chunk, so its tag fails.
    expect_failure(file + "x", AgeError::Kind::payload, "payload chunk 3 failed authentication",
                   2 * chunk);
    // After a full final chunk it is trailing data; the full chunk verified, yet is held back.
    plaintext.resize(2 * chunk);
    EncryptOptions options;
    options.recipients = {identity.recipient()};
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    encryptor.write(std::as_bytes(std::span(plaintext)));
    encryptor.finish();
    expect_failure(sink.data + "x", AgeError::Kind::payload,
                   "data after the final chunk (payload chunk 2)", chunk);
}

TEST_F(AgeTamper, WrongKey) {
    Outcome outcome = decrypt(X25519Identity::generate(), file);
    ASSERT_TRUE(outcome.kind);
    EXPECT_EQ(*outcome.kind, AgeError::Kind::no_match);
    EXPECT_NE(outcome.message.find(std::string(name) + ": no identity matches"), std::string::npos)
        << outcome.message;
    EXPECT_NE(outcome.message.find("X25519"), std::string::npos) << outcome.message;
    EXPECT_TRUE(outcome.released.empty());
}

TEST_F(AgeTamper, AFailedDecryptorKeepsFailing) {
    DecryptOptions options;
    options.identities = {identity};
    test::StringSource source(flip(file, payload + 5));
    Decryptor decryptor(options, source, name);
    std::vector<std::byte> buffer(1000);
    EXPECT_THROW(decryptor.read(buffer), AgeError);
    EXPECT_THROW(decryptor.read(buffer), AgeError); // never a quiet 0 (a clean end) after that
}

} // namespace
} // namespace offstage::age
