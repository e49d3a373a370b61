// The age header's size bound is one rule for both sides: the Encryptor refuses to write a
// header the Decryptor would refuse to read (Header::max_size), so offstage never writes an
// artifact it cannot decrypt itself. Checked at the bound, one recipient each side of it.
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/header.hpp"
#include "tests/age/memory_streams.hpp"

#include <gtest/gtest.h>

namespace offstage::age {
namespace {

const std::string plaintext = "under the bound\n";

std::string encrypt_to(const X25519Identity& identity, std::size_t recipients) {
    EncryptOptions options;
    options.recipients.assign(recipients, identity.recipient());
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    encryptor.write(std::as_bytes(std::span(plaintext)));
    encryptor.finish();
    return sink.data;
}

std::size_t header_size(const std::string& file) {
    return file.find("\n---") + file.substr(file.find("\n---") + 1).find('\n') + 2;
}

TEST(AgeHeaderBound, TheWriterWritesUpToTheReadersBoundAndRefusesOneRecipientMore) {
    X25519Identity identity = X25519Identity::generate();
    // Every X25519 stanza has the same size: measure it, and what the header has besides.
    const std::size_t one = header_size(encrypt_to(identity, 1));
    const std::size_t per_recipient = header_size(encrypt_to(identity, 2)) - one;
    const std::size_t frame = one - per_recipient;
    const std::size_t most = (Header::max_size - frame) / per_recipient;
    ASSERT_GT(most, 10000u) << "1 MiB holds over ten thousand recipients";

    const std::string largest = encrypt_to(identity, most);
    EXPECT_LE(header_size(largest), Header::max_size);
    EXPECT_GT(header_size(largest) + per_recipient, Header::max_size);
    test::StringSource source(largest);
    DecryptOptions keys;
    keys.identities = {identity};
    Decryptor decryptor(keys, source, "largest.age");
    std::string read(plaintext.size() + 1, '\0');
    std::size_t got = decryptor.read(std::as_writable_bytes(std::span(read)));
    EXPECT_EQ(read.substr(0, got), plaintext) << "what the writer accepts, the reader reads";

    try {
        encrypt_to(identity, most + 1);
        ADD_FAILURE() << most + 1 << " recipients were not refused";
    } catch (const AgeError& error) {
        const std::string message = error.what();
        EXPECT_NE(message.find(std::to_string(most + 1) + " recipients"), std::string::npos)
            << message;
        EXPECT_NE(message.find(std::to_string(most) + " fit"), std::string::npos) << message;
        EXPECT_NE(message.find("1 MiB"), std::string::npos) << message;
    }
}

TEST(AgeHeaderBound, NothingReachesTheOutputWhenTheHeaderIsRefused) {
    X25519Identity identity = X25519Identity::generate();
    EncryptOptions options;
    options.recipients.assign(20000, identity.recipient());
    test::StringSink sink;
    EXPECT_THROW(Encryptor(options, sink), AgeError);
    EXPECT_TRUE(sink.data.empty()) << sink.data.size() << " bytes written";
}

} // namespace
} // namespace offstage::age
