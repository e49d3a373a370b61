// Interoperability with the stock age and age-keygen (Debian package age), both directions:
// 0 B, 1 B, 64 KiB, 64 KiB + 1 and several MiB of random data; several recipients whose keys
// were made by each side; binary and armored. The plaintext must come back byte-identical.
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/identity.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace offstage::age {
namespace {

using test::run_command;

class AgeInterop : public testing::Test {
protected:
    void SetUp() override {
        // Key A: made by age-keygen. Key B: made by offstage, written in age-keygen's format.
        auto made = run_command({"age-keygen", "-o", (dir / "a.key").string()});
        ASSERT_EQ(made.exit_status, 0)
            << "age-keygen (Debian package age) is required: " << made.err;
        auto a = run_command({"age-keygen", "-y", (dir / "a.key").string()});
        ASSERT_EQ(a.exit_status, 0) << a.err;
        recipient_a = a.out.substr(0, a.out.find('\n'));
        auto identities = load_identities_file(dir / "a.key");
        ASSERT_EQ(identities.size(), 1u);
        ASSERT_EQ(identities[0].recipient().to_string(), recipient_a)
            << "offstage and age-keygen derive different public keys";
        identity_a = identities[0];

        identity_b = X25519Identity::generate();
        recipient_b = identity_b->recipient().to_string();
        test::write_file(dir / "b.key",
                         "# created: 2026-01-01T00:00:00Z\n# public key: " + recipient_b + "\n" +
                             identity_b->to_string() + "\n",
                         std::filesystem::perms(0600));
        auto b = run_command({"age-keygen", "-y", (dir / "b.key").string()});
        ASSERT_EQ(b.exit_status, 0) << b.err;
        ASSERT_EQ(b.out, recipient_b + "\n") << "age-keygen -y disagrees with offstage";
    }

    static std::vector<std::size_t> sizes() {
        return {0, 1, 64 * 1024, 64 * 1024 + 1, 5 * 1024 * 1024 + 333};
    }

    test::TempDir dir{"offstage-age-interop"};
    std::string recipient_a;
    std::string recipient_b;
    std::optional<X25519Identity> identity_a;
    std::optional<X25519Identity> identity_b;
};

TEST_F(AgeInterop, AgeDecryptsWhatOffstageEncrypts) {
    for (bool armor : {false, true}) {
        for (std::size_t size : sizes()) {
            std::string plaintext = test::random_string(size);
            EncryptOptions options;
            options.recipients = {X25519Recipient::parse(recipient_a),
                                  X25519Recipient::parse(recipient_b)};
            options.armor = armor;
            test::StringSink sink;
            Encryptor encryptor(options, sink);
            encryptor.write(std::as_bytes(std::span(plaintext)));
            encryptor.finish();
            auto file = test::write_file(dir / "offstage.age", sink.data);
            for (const char* key : {"a.key", "b.key"}) {
                auto result = run_command({"age", "-d", "-i", (dir / key).string(), file.string()});
                ASSERT_EQ(result.exit_status, 0) << "size " << size << " armor " << armor << " key "
                                                 << key << ": " << result.err;
                EXPECT_TRUE(result.out == plaintext) << "size " << size << " armor " << armor
                                                     << " key " << key << ": the plaintext differs";
            }
        }
    }
}

TEST_F(AgeInterop, OffstageDecryptsWhatAgeEncrypts) {
    for (bool armor : {false, true}) {
        for (std::size_t size : sizes()) {
            std::string plaintext = test::random_string(size);
            auto input = test::write_file(dir / "plain", plaintext);
            std::vector<std::string> argv = {"age", "-r", recipient_a, "-r", recipient_b};
            if (armor) {
                argv.push_back("-a");
            }
            argv.insert(argv.end(), {"-o", (dir / "age.age").string(), input.string()});
            auto result = run_command(argv);
            ASSERT_EQ(result.exit_status, 0) << result.err;
            std::string file = test::read_file(dir / "age.age");
            EXPECT_EQ(file.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"), armor);
            for (const auto& identity : {*identity_a, *identity_b}) {
                DecryptOptions options;
                options.identities = {identity};
                test::StringSource source(file, 100000);
                Decryptor decryptor(options, source, "age.age");
                std::string decrypted;
                std::vector<std::byte> buffer(1 << 20);
                while (std::size_t got = decryptor.read(buffer)) {
                    decrypted.append(reinterpret_cast<const char*>(buffer.data()), got);
                }
                EXPECT_TRUE(decrypted == plaintext)
                    << "size " << size << " armor " << armor << ": the plaintext differs";
            }
        }
    }
}

// age 1.1.1 reads passphrases only from a terminal: age_on_a_terminal.py gives it one.
TEST_F(AgeInterop, PassphrasesBothWays) {
    const std::string passphrase = "correct horse battery staple";
    const std::string terminal =
        std::string(OFFSTAGE_SOURCE_DIR) + "/tests/age/age_on_a_terminal.py";
    test::CommandOptions with_passphrase;
    with_passphrase.extra_environment["PASSPHRASE"] = passphrase;
    std::string plaintext = test::random_string(64 * 1024 + 1);

    // offstage -> age (a low work factor keeps the test fast; age accepts any up to 22).
    EncryptOptions options;
    options.passphrase = passphrase;
    options.scrypt_work_factor = 12;
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    encryptor.write(std::as_bytes(std::span(plaintext)));
    encryptor.finish();
    auto ours = test::write_file(dir / "ours.age", sink.data);
    auto decrypted = run_command(
        {"python3", terminal, "age", "-d", "-o", (dir / "ours.out").string(), ours.string()},
        with_passphrase);
    ASSERT_EQ(decrypted.exit_status, 0) << decrypted.err;
    EXPECT_TRUE(test::read_file(dir / "ours.out") == plaintext);

    // age -> offstage, at age's own default work factor (18: 256 MiB of scrypt memory).
    auto input = test::write_file(dir / "plain", plaintext);
    auto encrypted = run_command(
        {"python3", terminal, "age", "-p", "-o", (dir / "theirs.age").string(), input.string()},
        with_passphrase);
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;
    DecryptOptions decrypt_options;
    decrypt_options.passphrase = passphrase;
    test::StringSource source(test::read_file(dir / "theirs.age"));
    Decryptor decryptor(decrypt_options, source, "theirs.age");
    std::string result;
    std::vector<std::byte> buffer(1 << 20);
    while (std::size_t got = decryptor.read(buffer)) {
        result.append(reinterpret_cast<const char*>(buffer.data()), got);
    }
    EXPECT_TRUE(result == plaintext);
}

TEST_F(AgeInterop, AgeRejectsWhatOffstageWouldReject) {
    // The same truncated file fails in both tools: offstage is not more lenient than age.
    std::string plaintext = test::random_string(3 * 64 * 1024);
    EncryptOptions options;
    options.recipients = {X25519Recipient::parse(recipient_a)};
    test::StringSink sink;
    Encryptor encryptor(options, sink);
    encryptor.write(std::as_bytes(std::span(plaintext)));
    encryptor.finish();
    auto file =
        test::write_file(dir / "cut.age", sink.data.substr(0, sink.data.size() - 64 * 1024 - 16));
    auto result = run_command({"age", "-d", "-i", (dir / "a.key").string(), file.string()});
    EXPECT_NE(result.exit_status, 0);
    DecryptOptions decrypt_options;
    decrypt_options.identities = {*identity_a};
    test::StringSource source(test::read_file(file));
    Decryptor decryptor(decrypt_options, source, "cut.age");
    std::vector<std::byte> buffer(1 << 20);
    EXPECT_THROW(while (decryptor.read(buffer)){}, AgeError);
}

} // namespace
} // namespace offstage::age
