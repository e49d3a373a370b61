#include "stager/staging/day_file.hpp"
#include "stager/staging/day_seal.hpp"
#include "stager/staging/minisign.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace offstage::staging;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

offstage::test::CommandOptions in_directory(const fs::path& directory) {
    offstage::test::CommandOptions options;
    options.working_directory = directory;
    return options;
}

std::span<const std::uint8_t> bytes(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

Sha256Digest digest_of(const std::string& content, const TempDir& dir) {
    write_file(dir / "digest-input", content);
    auto result = run_command({"sha256sum", (dir / "digest-input").string()});
    Sha256Digest digest{};
    for (std::size_t i = 0; i < 32; ++i) {
        digest[i] = static_cast<std::uint8_t>(std::stoi(result.out.substr(2 * i, 2), nullptr, 16));
    }
    return digest;
}

} // namespace

TEST(Sha256Sums, TheRealSha256sumChecksWhatWeWrite) {
    TempDir dir;
    Sha256Sums sums;
    for (const auto& [name, content] :
         std::vector<std::pair<std::string, std::string>>{{"files.tar.zst.age", "files"},
                                                          {"db/mariadb/a.sql.zst.age", "db"},
                                                          {"report.json", "{}"}}) {
        sums[name] = digest_of(content, dir);
        write_file(dir / "day" / name, content);
    }
    std::string text = format_sha256sums(sums);
    EXPECT_TRUE(text.starts_with(to_hex(sums.at("db/mariadb/a.sql.zst.age")) +
                                 "  db/mariadb/a.sql.zst.age\n"));
    write_file(dir / "day/SHA256SUMS", text);
    auto check =
        run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_directory(dir / "day"));
    EXPECT_EQ(check.exit_status, 0) << check.out << check.err;
    EXPECT_EQ(parse_sha256sums(text), sums);
    write_file(dir / "day/files.tar.zst.age", "tampered");
    EXPECT_NE(
        run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_directory(dir / "day"))
            .exit_status,
        0);
}

TEST(Sha256Sums, MalformedListsAreRefusedWithTheLine) {
    std::string good = std::string(64, 'a') + "  files.tar.zst.age\n";
    EXPECT_EQ(parse_sha256sums(good).size(), 1u);
    auto error_of = [](const std::string& text) {
        try {
            parse_sha256sums(text);
        } catch (const SumsError& error) {
            return std::string(error.what());
        }
        return std::string("accepted");
    };
    EXPECT_EQ(error_of(good + good).rfind("SHA256SUMS:2:", 0), 0u);
    EXPECT_EQ(error_of(std::string(64, 'A') + "  x\n").rfind("SHA256SUMS:1:", 0), 0u);
    EXPECT_EQ(error_of(std::string(63, 'a') + "  x\n").rfind("SHA256SUMS:1:", 0), 0u);
    EXPECT_EQ(error_of(std::string(64, 'a') + "  x").rfind("SHA256SUMS:1:", 0), 0u);
    EXPECT_EQ(error_of(std::string(64, 'a') + "  a\\nb\n").rfind("SHA256SUMS:1:", 0), 0u);
    Sha256Sums bad{{"a\nb", Sha256Digest{}}};
    EXPECT_THROW(format_sha256sums(bad), SumsError);
}

TEST(Minisign, DebiansMinisignVerifiesOurSignatureAndRejectsTampering) {
    TempDir dir;
    SigningKey key = SigningKey::create(dir / "signing.key");
    struct stat info {};
    ASSERT_EQ(::stat((dir / "signing.key").c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    std::string message = std::string(64, 'a') + "  files.tar.zst.age\n";
    std::string comment = "offstage day=2026-11-22 host=test timestamp=1795400000";
    write_file(dir / "SHA256SUMS", message);
    write_file(dir / "SHA256SUMS.minisig", key.sign(bytes(message), comment, "offstage signature"));
    write_file(dir / "signing.pub", key.public_key().to_file_text());

    auto verified = run_command({"minisign", "-V", "-p", (dir / "signing.pub").string(), "-m",
                                 (dir / "SHA256SUMS").string()});
    EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
    EXPECT_NE(verified.out.find("Trusted comment: " + comment), std::string::npos) << verified.out;
    // minisign -H: prehashed signatures only; ours are.
    EXPECT_EQ(run_command({"minisign", "-VH", "-p", (dir / "signing.pub").string(), "-m",
                           (dir / "SHA256SUMS").string()})
                  .exit_status,
              0);

    write_file(dir / "SHA256SUMS", message + "extra\n");
    EXPECT_NE(run_command({"minisign", "-V", "-p", (dir / "signing.pub").string(), "-m",
                           (dir / "SHA256SUMS").string()})
                  .exit_status,
              0);
}

TEST(Minisign, WeVerifyWhatMinisignItselfSigns) {
    TempDir dir;
    write_file(dir / "message", "signed by the real minisign\n");
    auto generated = run_command({"minisign", "-G", "-W", "-p", (dir / "real.pub").string(), "-s",
                                  (dir / "real.key").string()});
    ASSERT_EQ(generated.exit_status, 0) << generated.err;
    auto signed_ = run_command({"minisign", "-S", "-s", (dir / "real.key").string(), "-m",
                                (dir / "message").string(), "-t", "trusted words"});
    ASSERT_EQ(signed_.exit_status, 0) << signed_.err;
    MinisignPublicKey key = MinisignPublicKey::parse(read_file(dir / "real.pub"));
    EXPECT_EQ(
        verify_minisign(key, read_file(dir / "message.minisig"), bytes(read_file(dir / "message"))),
        "trusted words");
    EXPECT_THROW(verify_minisign(key, read_file(dir / "message.minisig"), bytes("other\n")),
                 SignatureError);
}

TEST(Minisign, EveryAlterationIsCaught) {
    TempDir dir;
    SigningKey key = SigningKey::create(dir / "signing.key");
    SigningKey other = SigningKey::create(dir / "other.key");
    std::string message = "sums\n";
    std::string signature = key.sign(bytes(message), "day=2026-11-22", "u");
    EXPECT_EQ(verify_minisign(key.public_key(), signature, bytes(message)), "day=2026-11-22");
    // Another key.
    EXPECT_THROW(verify_minisign(other.public_key(), signature, bytes(message)), SignatureError);
    // Another key that claims our key id: the signature itself fails.
    MinisignPublicKey forged = other.public_key();
    forged.key_id = key.public_key().key_id;
    EXPECT_THROW(verify_minisign(forged, signature, bytes(message)), SignatureError);
    // An edited trusted comment (a replay under another day).
    std::string replayed = signature;
    replayed.replace(replayed.find("day=2026-11-22"), 14, "day=2026-11-23");
    EXPECT_THROW(verify_minisign(key.public_key(), replayed, bytes(message)), SignatureError);
    // Garbage.
    EXPECT_THROW(verify_minisign(key.public_key(), "nonsense", bytes(message)), SignatureError);
    // The key file round-trips and is never overwritten.
    SigningKey loaded = SigningKey::load(dir / "signing.key");
    EXPECT_EQ(loaded.public_key().key, key.public_key().key);
    EXPECT_EQ(MinisignPublicKey::parse(key.public_key().to_file_text()).key, key.public_key().key);
    EXPECT_THROW(SigningKey::create(dir / "signing.key"), std::system_error);
    fs::permissions(dir / "signing.key", fs::perms(0640));
    EXPECT_THROW(SigningKey::load(dir / "signing.key"), SignatureError);
}

TEST(DaySeal, APublishedDayChecksWithSha256sumAndMinisignAlone) {
    TempDir dir;
    fs::create_directories(dir / "srv/offstage");
    StagingTree tree(dir / "srv/offstage", dir / "srv/offstage.work");
    SigningKey key = SigningKey::create(dir / "signing.key");
    write_file(dir / "signing.pub", key.public_key().to_file_text());
    WorkDir work = tree.begin("2026-11-22");
    Sha256Sums files;
    files["files.tar.zst.age"] = write_day_file(work, "files.tar.zst.age", "encrypted bytes");
    files["spool-mail.tar.zst.age"] = write_day_file(work, "spool-mail.tar.zst.age", "spool");
    files["report.json"] = write_day_file(work, "report.json", "{}\n");
    seal_day(work, files, key, "host.example", 1795400000);
    tree.publish(work, PullAccess{::getegid()});

    fs::path day = dir / "srv/offstage/2026-11-22";
    auto sums = run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_directory(day));
    EXPECT_EQ(sums.exit_status, 0) << sums.out << sums.err;
    EXPECT_EQ(std::count(sums.out.begin(), sums.out.end(), '\n'), 3);
    auto signature = run_command({"minisign", "-V", "-p", (dir / "signing.pub").string(), "-m",
                                  (day / "SHA256SUMS").string()});
    EXPECT_EQ(signature.exit_status, 0) << signature.out << signature.err;
    EXPECT_NE(signature.out.find("offstage day=2026-11-22 host=host.example timestamp=1795400000"),
              std::string::npos);
    EXPECT_THROW(trusted_comment_for("2026-11-22", "two words", 0), StagingError);
}
