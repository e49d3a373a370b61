// `offstage key`, `offstage encrypt` and `offstage decrypt` end to end: the real built binary,
// the real age tools, files in a temporary directory.
#include "tests/age/memory_streams.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

CommandResult offstage(std::vector<std::string> args, const CommandOptions& options = {}) {
    args.insert(args.begin(), built_program("offstage").string());
    // An explicit, empty configuration: the host's /etc/offstage must not leak into tests.
    return run_command(args, options);
}

class AgeCli : public testing::Test {
protected:
    void SetUp() override {
        auto generated = offstage({"key", "generate", "-o", key.string()});
        ASSERT_EQ(generated.exit_status, 0) << generated.err;
        recipient = generated.out.substr(0, generated.out.find('\n'));
        ASSERT_TRUE(recipient.starts_with("age1")) << generated.out;
    }

    // The names in the directory other than the ones the test made: temporary leftovers.
    std::vector<std::string> leftovers(const std::vector<std::string>& expected) const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir.path())) {
            std::string name = entry.path().filename().string();
            if (std::find(expected.begin(), expected.end(), name) == expected.end()) {
                names.push_back(name);
            }
        }
        return names;
    }

    TempDir dir{"offstage-age-cli"};
    fs::path key = dir / "key.txt";
    std::string recipient;
};

TEST_F(AgeCli, KeyGenerateWritesAgeKeygenFormatPrivatelyAndNeverOverwrites) {
    struct stat st {};
    ASSERT_EQ(::stat(key.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u);
    std::string text = read_file(key);
    EXPECT_TRUE(text.starts_with("# created: ")) << text;
    EXPECT_NE(text.find("\n# public key: " + recipient + "\nAGE-SECRET-KEY-1"), std::string::npos)
        << text;
    auto y = run_command({"age-keygen", "-y", key.string()});
    ASSERT_EQ(y.exit_status, 0) << y.err;
    EXPECT_EQ(y.out, recipient + "\n");

    auto again = offstage({"key", "generate", "-o", key.string()});
    EXPECT_NE(again.exit_status, 0);
    EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
    EXPECT_EQ(read_file(key), text);
}

TEST_F(AgeCli, KeyGenerateToStdoutAndKeyRecipientAgreeWithAgeKeygen) {
    auto generated = offstage({"key", "generate"});
    ASSERT_EQ(generated.exit_status, 0) << generated.err;
    auto stdout_key = write_file(dir / "stdout.key", generated.out);
    auto y = run_command({"age-keygen", "-y", stdout_key.string()});
    ASSERT_EQ(y.exit_status, 0) << y.err;
    EXPECT_EQ(generated.err, "Public key: " + y.out);

    ASSERT_EQ(run_command({"age-keygen", "-o", (dir / "keygen.key").string()}).exit_status, 0);
    auto theirs = run_command({"age-keygen", "-y", (dir / "keygen.key").string()});
    auto ours = offstage({"key", "recipient", (dir / "keygen.key").string()});
    ASSERT_EQ(ours.exit_status, 0) << ours.err;
    EXPECT_EQ(ours.out, theirs.out);
    CommandOptions from_stdin;
    from_stdin.stdin_data = read_file(dir / "keygen.key");
    EXPECT_EQ(offstage({"key", "recipient"}, from_stdin).out, theirs.out);
}

TEST_F(AgeCli, EncryptAndDecryptFilesAndPipes) {
    std::string plaintext = random_string(300000);
    auto input = write_file(dir / "plain", plaintext);

    auto encrypted =
        offstage({"encrypt", "-r", recipient, "-o", (dir / "f.age").string(), input.string()});
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;
    auto by_age = run_command({"age", "-d", "-i", key.string(), (dir / "f.age").string()});
    ASSERT_EQ(by_age.exit_status, 0) << by_age.err;
    EXPECT_TRUE(by_age.out == plaintext);

    auto decrypted = offstage(
        {"decrypt", "-i", key.string(), "-o", (dir / "f.out").string(), (dir / "f.age").string()});
    ASSERT_EQ(decrypted.exit_status, 0) << decrypted.err;
    EXPECT_TRUE(read_file(dir / "f.out") == plaintext);

    // Standard input to standard output, armored, to a recipients file with comments.
    write_file(dir / "recipients", "# the admins\n\n" + recipient + "\n");
    CommandOptions pipe;
    pipe.stdin_data = plaintext;
    auto armored = offstage({"encrypt", "-a", "-R", (dir / "recipients").string()}, pipe);
    ASSERT_EQ(armored.exit_status, 0) << armored.err;
    EXPECT_TRUE(armored.out.starts_with("-----BEGIN AGE ENCRYPTED FILE-----\n"));
    CommandOptions back;
    back.stdin_data = armored.out;
    auto plain = offstage({"decrypt", "-i", key.string()}, back);
    ASSERT_EQ(plain.exit_status, 0) << plain.err;
    EXPECT_TRUE(plain.out == plaintext);
    EXPECT_TRUE(leftovers({"key.txt", "plain", "f.age", "f.out", "recipients"}).empty());
}

TEST_F(AgeCli, EncryptTakesRecipientsFromTheConfiguration) {
    auto config =
        write_file(dir / "offstage.toml", "[encryption]\nrecipients = [\"" + recipient + "\"]\n");
    CommandOptions pipe;
    pipe.stdin_data = "configured\n";
    auto encrypted = offstage({"--config", config.string(), "encrypt"}, pipe);
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;
    CommandOptions back;
    back.stdin_data = encrypted.out;
    EXPECT_EQ(offstage({"decrypt", "-i", key.string()}, back).out, "configured\n");

    auto none =
        offstage({"--config", write_file(dir / "empty.toml", "").string(), "encrypt"}, pipe);
    EXPECT_EQ(none.exit_status, 2);
    EXPECT_NE(none.err.find("no recipient"), std::string::npos) << none.err;
}

TEST_F(AgeCli, PassphraseFromAnFdOrTheEnvironmentInteroperatesWithTestkitRules) {
    auto input = write_file(dir / "plain", "secret words\n");
    CommandOptions fd0;
    fd0.stdin_data = "hunter2 hunter2\n";
    auto encrypted = offstage({"encrypt", "--passphrase-fd", "0", "--work-factor", "10", "-o",
                               (dir / "p.age").string(), input.string()},
                              fd0);
    ASSERT_EQ(encrypted.exit_status, 0) << encrypted.err;
    EXPECT_NE(read_file(dir / "p.age").find("\n-> scrypt "), std::string::npos);

    CommandOptions environment;
    environment.extra_environment["OFFSTAGE_PASSPHRASE"] = "hunter2 hunter2";
    auto decrypted = offstage({"decrypt", "-p", (dir / "p.age").string()}, environment);
    ASSERT_EQ(decrypted.exit_status, 0) << decrypted.err;
    EXPECT_EQ(decrypted.out, "secret words\n");

    environment.extra_environment["OFFSTAGE_PASSPHRASE"] = "wrong";
    auto wrong = offstage({"decrypt", "-p", (dir / "p.age").string()}, environment);
    EXPECT_EQ(wrong.exit_status, 4);
    EXPECT_NE(wrong.err.find("passphrase is wrong"), std::string::npos) << wrong.err;

    auto mixed = offstage({"encrypt", "-p", "-r", recipient, input.string()}, environment);
    EXPECT_EQ(mixed.exit_status, 2);
}

TEST_F(AgeCli, FailedDecryptLeavesNoOutputFileAndSaysWhy) {
    std::string plaintext = random_string(3 * 65536 + 100);
    auto input = write_file(dir / "plain", plaintext);
    ASSERT_EQ(offstage({"encrypt", "-r", recipient, "-o", (dir / "f.age").string(), input.string()})
                  .exit_status,
              0);
    std::string file = read_file(dir / "f.age");

    // Truncated at the last chunk boundary: every chunk before it verifies.
    write_file(dir / "cut.age", file.substr(0, file.size() - 116));
    auto cut = offstage(
        {"decrypt", "-i", key.string(), "-o", (dir / "out").string(), (dir / "cut.age").string()});
    EXPECT_EQ(cut.exit_status, 4);
    EXPECT_NE(cut.err.find((dir / "cut.age").string() + ": the file ends after payload chunk 3"),
              std::string::npos)
        << cut.err;
    EXPECT_NE(cut.err.find("was not written"), std::string::npos) << cut.err;
    EXPECT_FALSE(fs::exists(dir / "out"));

    // A flipped bit in the last chunk, with an older output in place: it stays untouched.
    write_file(dir / "out", "previous\n");
    std::string flipped = file;
    flipped[flipped.size() - 50] ^= 4;
    write_file(dir / "flip.age", flipped);
    auto flip = offstage(
        {"decrypt", "-i", key.string(), "-o", (dir / "out").string(), (dir / "flip.age").string()});
    EXPECT_EQ(flip.exit_status, 4);
    EXPECT_NE(flip.err.find("payload chunk 4 failed authentication"), std::string::npos)
        << flip.err;
    EXPECT_EQ(read_file(dir / "out"), "previous\n");

    // The wrong key.
    ASSERT_EQ(offstage({"key", "generate", "-o", (dir / "other.key").string()}).exit_status, 0);
    auto wrong = offstage({"decrypt", "-i", (dir / "other.key").string(), "-o",
                           (dir / "out2").string(), (dir / "f.age").string()});
    EXPECT_EQ(wrong.exit_status, 4);
    EXPECT_NE(wrong.err.find("no identity matches"), std::string::npos) << wrong.err;
    EXPECT_FALSE(fs::exists(dir / "out2"));

    EXPECT_EQ(leftovers({"key.txt", "plain", "f.age", "cut.age", "flip.age", "out", "other.key"}),
              std::vector<std::string>{});
}

// docs/encryption.md tells an admin how to decrypt with the stock age tool: run exactly that.
TEST_F(AgeCli, TheDocumentedAgeCommandDecryptsWhatOffstageWrites) {
    std::string doc = read_file(fs::path(OFFSTAGE_SOURCE_DIR) / "docs" / "encryption.md");
    std::size_t begin = doc.find("<!-- begin decrypt commands");
    std::size_t end = doc.find("<!-- end decrypt commands -->");
    ASSERT_NE(begin, std::string::npos);
    ASSERT_NE(end, std::string::npos);
    std::string block = doc.substr(begin, end - begin);
    std::size_t code = block.find("```sh\n");
    ASSERT_NE(code, std::string::npos);
    std::string commands = block.substr(code + 6, block.rfind("```") - code - 6);
    ASSERT_FALSE(commands.empty());

    std::string plaintext = random_string(200000);
    auto input = write_file(dir / "plain", plaintext);
    ASSERT_EQ(offstage({"encrypt", "-r", recipient, "-o", (dir / "artifact.age").string(),
                        input.string()})
                  .exit_status,
              0);
    CommandOptions options;
    options.extra_environment = {{"IDENTITY", key.string()},
                                 {"ARTIFACT", (dir / "artifact.age").string()},
                                 {"OUTPUT", (dir / "restored").string()}};
    auto result = run_command({"sh", "-e", "-c", commands}, options);
    ASSERT_EQ(result.exit_status, 0) << commands << result.err;
    EXPECT_TRUE(read_file(dir / "restored") == plaintext);
}

// Over the header bound that decrypt reads (20,000 recipients make about 2 MiB): refused before
// any output, naming the count, rather than written and then unreadable.
TEST_F(AgeCli, EncryptRefusesMoreRecipientsThanDecryptReads) {
    // A recipients file holds at most 1024 keys (key_file.hpp): 20 files of 1,000.
    std::string thousand;
    for (int i = 0; i < 1000; ++i) {
        thousand += recipient + "\n";
    }
    std::vector<std::string> recipient_options;
    std::vector<std::string> inputs{"key.txt", "plain.txt"};
    for (int file = 0; file < 20; ++file) {
        std::string name = "recipients-" + std::to_string(file) + ".txt";
        recipient_options.push_back("-R");
        recipient_options.push_back(write_file(dir / name, thousand).string());
        inputs.push_back(name);
    }
    const fs::path input = write_file(dir / "plain.txt", "plain\n");
    auto encrypt = [&](std::vector<std::string> tail) {
        std::vector<std::string> argv{"encrypt"};
        argv.insert(argv.end(), recipient_options.begin(), recipient_options.end());
        argv.insert(argv.end(), tail.begin(), tail.end());
        return offstage(argv);
    };
    auto refused = encrypt({"-o", (dir / "out.age").string(), input.string()});
    EXPECT_EQ(refused.exit_status, 1) << refused.err;
    EXPECT_NE(refused.err.find("20000 recipients"), std::string::npos) << refused.err;
    EXPECT_EQ(leftovers(inputs), std::vector<std::string>{});

    auto streamed = encrypt({input.string()});
    EXPECT_EQ(streamed.exit_status, 1) << streamed.err;
    EXPECT_TRUE(streamed.out.empty()) << streamed.out.size() << " bytes written";
}

TEST_F(AgeCli, UsageErrors) {
    EXPECT_EQ(offstage({"decrypt", (dir / "x").string()}).exit_status, 2); // no -i, no -p
    auto bad = offstage({"encrypt", "-r", "age1notakey", "-o", (dir / "x.age").string()});
    EXPECT_EQ(bad.exit_status, 2);
    EXPECT_NE(bad.err.find("age1notakey"), std::string::npos) << bad.err;
    auto missing = offstage({"decrypt", "-i", (dir / "nope.key").string()});
    EXPECT_EQ(missing.exit_status, 2);
    EXPECT_NE(missing.err.find("nope.key"), std::string::npos) << missing.err;
}

} // namespace
} // namespace offstage::test
