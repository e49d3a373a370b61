// Encryptor -> Decryptor in process: every size around the 64 KiB chunk boundary, every way of
// splitting the writes and reads, several recipients, armor, passphrases, and the exact size of
// what is written (which shows the final chunk is never empty and full chunks are not split).
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "tests/age/memory_streams.hpp"

#include <gtest/gtest.h>

namespace offstage::age {
namespace {

constexpr std::size_t chunk = 64 * 1024;

std::string encrypt(const EncryptOptions& options, const std::string& plaintext,
                    std::size_t write_step = SIZE_MAX) {
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    for (std::size_t at = 0; at < plaintext.size(); at += write_step) {
        std::size_t size = std::min(write_step, plaintext.size() - at);
        encryptor.write(std::as_bytes(std::span(plaintext.data() + at, size)));
    }
    encryptor.finish();
    EXPECT_EQ(sink.finished, 1);
    return sink.data;
}

std::string decrypt(const DecryptOptions& options, const std::string& file,
                    std::size_t source_step = SIZE_MAX, std::size_t read_size = 100000) {
    test::StringSource source(file, source_step);
    Decryptor decryptor(options, source, "roundtrip.age");
    std::string plaintext;
    std::vector<std::byte> buffer(read_size);
    while (std::size_t got = decryptor.read(buffer)) {
        plaintext.append(reinterpret_cast<const char*>(buffer.data()), got);
    }
    return plaintext;
}

// The binary size age's STREAM must produce: nonce, then one tag per chunk, the final chunk
// never empty unless the whole plaintext is.
std::size_t payload_size(std::size_t plaintext) {
    std::size_t chunks = plaintext == 0 ? 1 : (plaintext + chunk - 1) / chunk;
    return 16 + plaintext + 16 * chunks;
}

EncryptOptions to(const X25519Identity& identity) {
    EncryptOptions options;
    options.recipients = {identity.recipient()};
    return options;
}

DecryptOptions with(const X25519Identity& identity) {
    DecryptOptions options;
    options.identities = {identity};
    return options;
}

std::size_t header_size(const std::string& file) {
    std::size_t mac_line = file.find("\n--- ");
    return file.find('\n', mac_line + 1) + 1;
}

TEST(AgeRoundTrip, EverySizeAroundTheChunkBoundaryAndEveryWriteSplit) {
    auto identity = X25519Identity::generate();
    EncryptOptions encrypt_options = to(identity);
    DecryptOptions decrypt_options = with(identity);
    for (std::size_t size : {std::size_t{0}, std::size_t{1}, chunk - 1, chunk, chunk + 1, 2 * chunk,
                             2 * chunk + 1, 3 * chunk + 12345}) {
        std::string plaintext = test::random_string(size);
        for (std::size_t step : {std::size_t{1000}, chunk, chunk + 1, SIZE_MAX}) {
            std::string file = encrypt(encrypt_options, plaintext, step);
            EXPECT_EQ(file.size() - header_size(file), payload_size(size))
                << "size " << size << " step " << step;
            EXPECT_EQ(decrypt(decrypt_options, file, 4093, 777), plaintext)
                << "size " << size << " step " << step;
        }
    }
}

TEST(AgeRoundTrip, OneByteWritesAcrossAChunkBoundary) {
    auto identity = X25519Identity::generate();
    std::string plaintext = test::random_string(chunk + 3);
    std::string file = encrypt(to(identity), plaintext, 1);
    EXPECT_EQ(file.size() - header_size(file), payload_size(plaintext.size()));
    EXPECT_EQ(decrypt(with(identity), file), plaintext);
}

TEST(AgeRoundTrip, EveryRecipientCanDecrypt) {
    std::vector<X25519Identity> identities;
    EncryptOptions options;
    for (int i = 0; i < 4; ++i) {
        identities.push_back(X25519Identity::generate());
        options.recipients.push_back(identities.back().recipient());
    }
    std::string plaintext = test::random_string(100000);
    std::string file = encrypt(options, plaintext);
    for (const auto& identity : identities) {
        EXPECT_EQ(decrypt(with(identity), file), plaintext);
    }
    // Several identities, only the last of which matches.
    DecryptOptions several;
    several.identities = {X25519Identity::generate(), X25519Identity::generate(), identities[2]};
    EXPECT_EQ(decrypt(several, file), plaintext);
}

TEST(AgeRoundTrip, ArmorIsStrictPemAndDetectedOnDecrypt) {
    auto identity = X25519Identity::generate();
    EncryptOptions options = to(identity);
    options.armor = true;
    for (std::size_t size : {std::size_t{0}, std::size_t{5}, chunk + 1}) {
        std::string plaintext = test::random_string(size);
        std::string file = encrypt(options, plaintext, 333);
        EXPECT_TRUE(file.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
        EXPECT_TRUE(file.ends_with("\n-----END AGE ENCRYPTED FILE-----\n"));
        std::size_t start = file.find('\n') + 1;
        std::size_t end = file.rfind("-----END");
        std::size_t line_start = start;
        while (line_start < end) {
            std::size_t newline = file.find('\n', line_start);
            std::size_t length = newline - line_start;
            EXPECT_LE(length, 64u);
            if (newline + 1 < end) {
                EXPECT_EQ(length, 64u) << "only the last line may be short";
            }
            line_start = newline + 1;
        }
        EXPECT_EQ(decrypt(with(identity), file, 17), plaintext);
    }
}

TEST(AgeRoundTrip, PassphraseWithTheWorkFactorCap) {
    EncryptOptions options;
    options.passphrase = "correct horse battery staple";
    options.scrypt_work_factor = 12;
    std::string plaintext = test::random_string(70000);
    std::string file = encrypt(options, plaintext);
    EXPECT_NE(file.find("\n-> scrypt "), std::string::npos);
    EXPECT_NE(file.find(" 12\n"), std::string::npos);

    DecryptOptions right;
    right.passphrase = options.passphrase;
    EXPECT_EQ(decrypt(right, file), plaintext);

    DecryptOptions wrong;
    wrong.passphrase = "incorrect horse";
    try {
        decrypt(wrong, file);
        FAIL() << "a wrong passphrase decrypted";
    } catch (const AgeError& error) {
        EXPECT_EQ(error.kind(), AgeError::Kind::no_match) << error.what();
    }

    // Above the cap, scrypt is not even attempted (so it cannot allocate): a header failure.
    DecryptOptions capped = right;
    capped.max_scrypt_work_factor = 11;
    try {
        decrypt(capped, file);
        FAIL() << "a work factor above the cap was accepted";
    } catch (const AgeError& error) {
        EXPECT_EQ(error.kind(), AgeError::Kind::header);
        EXPECT_NE(std::string(error.what()).find("above the limit of 11"), std::string::npos)
            << error.what();
    }
}

TEST(AgeRoundTrip, RejectsInvalidOptionsAndMisuse) {
    auto identity = X25519Identity::generate();
    test::StringSink sink;
    EXPECT_THROW(Encryptor({}, sink), AgeError); // no recipient
    EncryptOptions mixed = to(identity);
    mixed.passphrase = "x";
    EXPECT_THROW(Encryptor(mixed, sink), AgeError); // the spec forbids scrypt + others

    Encryptor encryptor(to(identity), sink);
    encryptor.finish();
    std::byte one{1};
    EXPECT_THROW(encryptor.write(std::span(&one, 1)), AgeError);
    EXPECT_THROW(encryptor.finish(), AgeError);

    test::StringSource source(sink.data);
    EXPECT_THROW(Decryptor({}, source, "x.age"), AgeError); // nothing to decrypt with
}

// Bounded memory both ways: the encryptor holds back at most one chunk plus one output block
// (about 1 MiB), the decryptor reads ahead at most its 64 KiB buffer plus one sealed chunk.
TEST(AgeRoundTrip, BuffersAtMostAboutOneMebibyteEachWay) {
    auto identity = X25519Identity::generate();
    std::string piece = test::random_string(100 * 1000);
    test::StringSink sink;
    Encryptor encryptor(to(identity), sink);
    std::size_t written = 0;
    for (int i = 0; i < 100; ++i) {
        encryptor.write(std::as_bytes(std::span(piece)));
        written += piece.size();
        ASSERT_GE(sink.data.size() + 17 * (chunk + 16), written) << "after " << written;
    }
    encryptor.finish();

    class CountingSource : public platform::ByteSource {
    public:
        explicit CountingSource(const std::string& data)
            : inner_(data) {}
        std::size_t read(std::span<std::byte> buffer) override {
            std::size_t got = inner_.read(buffer);
            consumed += got;
            return got;
        }
        std::size_t consumed = 0;

    private:
        test::StringSource inner_;
    };
    CountingSource source(sink.data);
    Decryptor decryptor(with(identity), source, "bounded.age");
    std::vector<std::byte> buffer(4096);
    std::size_t released = 0;
    while (std::size_t got = decryptor.read(buffer)) {
        released += got;
        ASSERT_LE(source.consumed, released + 2 * (chunk + 16) + 64 * 1024) << "after " << released;
    }
    EXPECT_EQ(released, written);
}

TEST(AgeRoundTrip, EachFileHasAFreshFileKeyAndNonce) {
    auto identity = X25519Identity::generate();
    std::string plaintext(1000, 'a');
    std::string one = encrypt(to(identity), plaintext);
    std::string two = encrypt(to(identity), plaintext);
    EXPECT_NE(one, two);
    EXPECT_NE(one.substr(one.size() - 1000), two.substr(two.size() - 1000));
}

} // namespace
} // namespace offstage::age
