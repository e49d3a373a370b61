// `offstage verify` on real staged trees: built with StagingTree, DayFile and seal_day, holding
// real age artifacts written by the archive pipeline (EncryptedArchiveWriter, Encryptor,
// ZstdCompressor), then tampered with one way at a time. The real binary is run each time.
#include "platform/staging_layout.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/identity.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/archive/tar_writer.hpp"
#include "stager/archive/zstd_compressor.hpp"
#include "stager/report/report_json.hpp"
#include "stager/staging/day_file.hpp"
#include "stager/staging/day_seal.hpp"
#include "stager/staging/minisign.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "stager/staging/staging_tree.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/archive/sample_tree.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

constexpr const char* day = "2026-11-22";
constexpr const char* host = "testhost";
constexpr std::time_t signed_at = 1795400000;

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

report::SourceResult source(const std::string& name, const std::string& kind) {
    report::SourceResult result;
    result.name = name;
    result.kind = kind;
    return result;
}

// Plain bytes into a day file through zstd (optionally broken after compression) and age.
staging::DayFile& write_zstd_age(staging::DayFile& file, const age::EncryptOptions& keys,
                                 const std::string& plain, bool break_zstd) {
    test::StringSink compressed;
    offstage::archive::ZstdCompressor compressor({3, 0}, compressed);
    compressor.write(std::as_bytes(std::span(plain)));
    compressor.finish();
    if (break_zstd) {
        compressed.data[compressed.data.size() / 2] ^= 0x5a;
    }
    age::Encryptor encryptor(keys, file);
    encryptor.write(std::as_bytes(std::span(compressed.data)));
    encryptor.finish();
    return file;
}

// One staged tree with a served root, a signing key, another key, and an age identity.
class StagedTree {
public:
    explicit StagedTree(bool break_spool_zstd = false) {
        fs::create_directories(served);
        fs::permissions(served, fs::perms(0750));
        identity_ = age::X25519Identity::generate();
        write_file(identity_file, "# test identity\n" + identity_.to_string() + "\n",
                   fs::perms(0600));
        signing_.emplace(staging::SigningKey::create(dir / "signing.key"));
        write_file(public_key, signing_->public_key().to_file_text());
        other_.emplace(staging::SigningKey::create(dir / "other.key"));
        write_file(other_public_key, other_->public_key().to_file_text());
        stage(break_spool_zstd);
    }

    fs::path day_dir() const { return served / day; }

    // Writes SHA256SUMS over the files it lists now (digests from the real sha256sum, names
    // edited by `edit`) and signs it with `key` for `signed_day`.
    void relist_and_sign(const fs::path& tree, const staging::SigningKey& key,
                         const std::function<void(staging::Sha256Sums&)>& edit = {},
                         const std::string& signed_day = day) const {
        staging::Sha256Sums sums = staging::parse_sha256sums(read_file(tree / "SHA256SUMS"));
        if (edit) {
            edit(sums);
        }
        for (auto& [name, digest] : sums) {
            if (!fs::is_regular_file(fs::symlink_status(tree / name))) {
                continue;
            }
            auto result = run_command({"sha256sum", (tree / name).string()});
            for (std::size_t i = 0; i < 32; ++i) {
                digest[i] =
                    static_cast<std::uint8_t>(std::stoi(result.out.substr(2 * i, 2), nullptr, 16));
            }
        }
        std::string text = staging::format_sha256sums(sums);
        write_file(tree / "SHA256SUMS", text);
        write_file(tree / "SHA256SUMS.minisig",
                   key.sign(bytes_of(text),
                            staging::trusted_comment_for(signed_day, host, signed_at),
                            "offstage signature"));
    }

    // Rewrites report.json from the tree's current artifact sizes (as a thief holding the
    // host's keys would), keeping it consistent.
    void rewrite_report(const fs::path& tree) const {
        report::RunResult run = run_;
        for (auto& source : run.sources) {
            for (auto& artifact : source.artifacts) {
                artifact.bytes = fs::file_size(tree / artifact.name);
            }
        }
        write_file(tree / "report.json", report::render_report_json(run));
    }

    test::CommandResult verify(const std::vector<std::string>& arguments) const {
        std::vector<std::string> argv = {test::built_program("offstage").string(), "verify"};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        test::CommandOptions options;
        options.timeout = std::chrono::seconds(60);
        return run_command(argv, options);
    }

    const staging::SigningKey& signing() const { return *signing_; }
    const staging::SigningKey& other() const { return *other_; }
    std::uint64_t files_entries() const { return files_entries_; }

    TempDir dir;
    fs::path served = dir / "srv/offstage";
    fs::path work = dir / "srv/offstage.work";
    fs::path identity_file = dir / "identity.txt";
    fs::path public_key = dir / "signing.pub";
    fs::path other_public_key = dir / "other.pub";

private:
    void record(report::SourceResult& source, const staging::DayFile& file,
                staging::Sha256Sums& sums) {
        source.artifacts.push_back({file.name(), file.size(), file.sha256(), std::nullopt, false});
        sums[file.name()] = file.sha256();
    }

    void stage(bool break_spool_zstd) {
        staging::StagingTree tree(served, work);
        staging::WorkDir work_dir = tree.begin(day);
        age::EncryptOptions keys;
        keys.recipients = {identity_.recipient()};
        staging::Sha256Sums sums;
        run_.day = day;
        run_.host = host;
        run_.offstage_version = "0.1.0";
        run_.started_at = std::chrono::system_clock::from_time_t(signed_at - 60);
        run_.finished_at = std::chrono::system_clock::from_time_t(signed_at);
        run_.status = report::RunStatus::complete;

        // files: every kind of entry, and incompressible content so the age payload spans
        // several 64 KiB chunks.
        fs::create_directories(dir / "input");
        test::SampleTree sample(dir / "input");
        write_file(dir / "input/random.bin", test::random_string(300000));
        report::SourceResult files = source("files", "files");
        {
            staging::DayFile file(work_dir, "files.tar.zst.age");
            offstage::archive::EncryptedArchiveWriter writer(file, keys, {true, 3, 1});
            for (const auto& path : sample.paths()) {
                writer.add(path);
            }
            writer.add((dir / "input/random.bin").string());
            writer.commit();
            files_entries_ = writer.tar().counts().entries;
            record(files, file, sums);
        }
        // system: a small tar.
        write_file(dir / "system/dpkg-selections", "bash\tinstall\ncoreutils\tinstall\n");
        write_file(dir / "system/apt-manual", "bash\n");
        report::SourceResult system = source("system", "system");
        {
            staging::DayFile file(work_dir, "system.tar.zst.age");
            offstage::archive::EncryptedArchiveWriter writer(file, keys, {true, 3, 1});
            writer.add((dir / "system/dpkg-selections").string());
            writer.add((dir / "system/apt-manual").string());
            writer.commit();
            record(system, file, sums);
        }
        // spool: a tar through zstd into age, its zstd layer broken when asked.
        report::SourceResult spool = source("spool-mail", "spool");
        {
            test::StringSink tar;
            offstage::archive::TarWriter writer(tar);
            writer.add((dir / "system/apt-manual").string());
            writer.finish();
            staging::DayFile file(work_dir, "spool-mail.tar.zst.age");
            write_zstd_age(file, keys, tar.data, break_spool_zstd);
            record(spool, file, sums);
        }
        // A database dump: zstd and age, no tar.
        report::SourceResult db = source("db/mariadb/sales", "mariadb");
        {
            staging::DayFile file(work_dir, "db/mariadb/sales.sql.zst.age");
            write_zstd_age(file, keys, "CREATE TABLE t (x INT);\n" + std::string(100000, '-'),
                           false);
            record(db, file, sums);
        }
        run_.sources = {files, system, spool, db};
        sums["report.json"] =
            staging::write_day_file(work_dir, "report.json", report::render_report_json(run_));
        staging::seal_day(work_dir, sums, *signing_, host, signed_at);
        tree.publish(work_dir, staging::PullAccess{::getegid()});
    }

    age::X25519Identity identity_ = age::X25519Identity::generate();
    std::optional<staging::SigningKey> signing_;
    std::optional<staging::SigningKey> other_;
    report::RunResult run_;
    std::uint64_t files_entries_ = 0;
};

bool has_line(const std::string& out, const std::string& start) {
    std::size_t at = 0;
    while (at < out.size()) {
        std::size_t end = out.find('\n', at);
        if (out.compare(at, start.size(), start) == 0) {
            return true;
        }
        if (end == std::string::npos) {
            break;
        }
        at = end + 1;
    }
    return false;
}

std::string with_commas(std::uint64_t number) {
    std::string digits = std::to_string(number);
    for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) {
        digits.insert(static_cast<std::size_t>(i), ",");
    }
    return digits;
}

// The whole tree, off the host: what a provider's rsync -a or an admin's cp -a leaves.
fs::path copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to.parent_path());
    auto result = run_command({"cp", "-a", from.string(), to.string()});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return to;
}

} // namespace

TEST(Verify, AGoodTreeVerifiesWithAndWithoutAnIdentity) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    // The fixture is a real tree: the stock tools agree before offstage is asked.
    test::CommandOptions in_tree;
    in_tree.working_directory = tree;
    EXPECT_EQ(run_command({"sha256sum", "--check", "--strict", "SHA256SUMS"}, in_tree).exit_status,
              0);
    EXPECT_EQ(run_command({"minisign", "-V", "-p", staged.public_key.string(), "-m",
                           (tree / "SHA256SUMS").string()})
                  .exit_status,
              0);

    auto plain = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(plain.exit_status, 0) << plain.out << plain.err;
    EXPECT_TRUE(has_line(plain.out, "ok  signature  SHA256SUMS signed by key " +
                                        staged.signing().public_key().key_id_hex()))
        << plain.out;
    EXPECT_TRUE(has_line(plain.out, "ok  day  2026-11-22, as the signed comment says"))
        << plain.out;
    EXPECT_TRUE(has_line(plain.out, "ok  SHA256SUMS  5 files listed")) << plain.out;
    EXPECT_TRUE(has_line(plain.out, "ok  files.tar.zst.age  ")) << plain.out;
    EXPECT_NE(plain.out.find("sha256, age header (1 recipient), whole chunks"), std::string::npos);
    EXPECT_TRUE(has_line(plain.out, "ok  report.json  ")) << plain.out;
    EXPECT_TRUE(has_line(plain.out, "ok  report.json  describes this tree: day 2026-11-22, 4 "
                                    "artifacts with their sizes"))
        << plain.out;
    EXPECT_TRUE(has_line(plain.out, "verified 2026-11-22: 5 files, ")) << plain.out;
    EXPECT_EQ(plain.out.find("BAD"), std::string::npos) << plain.out;

    auto decrypting = staged.verify(
        {tree.string(), "-P", staged.public_key.string(), "-i", staged.identity_file.string()});
    EXPECT_EQ(decrypting.exit_status, 0) << decrypting.out << decrypting.err;
    EXPECT_NE(
        decrypting.out.find("  decrypted, " + with_commas(staged.files_entries()) + " entries\n"),
        std::string::npos)
        << decrypting.out;
    EXPECT_GT(staged.files_entries(), 10u);
    EXPECT_TRUE(has_line(decrypting.out, "ok  db/mariadb/sales.sql.zst.age  "));
    EXPECT_NE(decrypting.out.find("decrypted, 100.0 kB of content"), std::string::npos)
        << decrypting.out;
    EXPECT_NE(decrypting.out.find("4 artifacts decrypted to the end"), std::string::npos)
        << decrypting.out;
    EXPECT_TRUE(decrypting.err.empty()) << decrypting.err;
}

TEST(Verify, ADayOfTheStagingRootAndTheHostKeyWithAWarning) {
    StagedTree staged;
    auto result = staged.verify({day, "--staging-root", staged.served.string(), "--signing-key",
                                 (staged.dir / "signing.key").string()});
    EXPECT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_NE(result.err.find("a verifier should hold the public key off the host"),
              std::string::npos)
        << result.err;
    // The default staging root holds no such day here: nothing to verify is an I/O error.
    auto missing = staged.verify(
        {"2026-11-23", "--staging-root", staged.served.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(missing.exit_status, 1) << missing.out << missing.err;
    EXPECT_NE(missing.err.find("open the day directory"), std::string::npos) << missing.err;
}

TEST(Verify, OffHostCopiesVerifyUnderTheirDayNameOrAnyName) {
    StagedTree staged;
    TempDir elsewhere;
    fs::path copy = copy_tree(staged.day_dir(), elsewhere / "pulled" / day);
    auto result = staged.verify(
        {copy.string(), "-P", staged.public_key.string(), "-i", staged.identity_file.string()});
    EXPECT_EQ(result.exit_status, 0) << result.out << result.err;

    fs::path renamed = copy_tree(staged.day_dir(), elsewhere / "latest");
    auto named = staged.verify({renamed.string() + "/", "-P", staged.public_key.string()});
    EXPECT_EQ(named.exit_status, 0) << named.out << named.err;
    EXPECT_TRUE(has_line(named.out, "ok  day  2026-11-22, taken from the signed comment: the "
                                    "directory's name, latest, is not a day"))
        << named.out;
    // From inside the directory, as `cd DAY && sha256sum -c` is run.
    test::CommandOptions inside;
    inside.working_directory = copy;
    auto dot = run_command(
        {test::built_program("offstage").string(), "verify", ".", "-P", staged.public_key.string()},
        inside);
    EXPECT_EQ(dot.exit_status, 0) << dot.out << dot.err;
    EXPECT_TRUE(has_line(dot.out, "ok  day  2026-11-22, as the signed comment says")) << dot.out;
}

TEST(Verify, AFlippedByteInAnArtifact) {
    StagedTree staged;
    fs::path artifact = staged.day_dir() / "files.tar.zst.age";
    std::string bytes = read_file(artifact);
    bytes[bytes.size() / 2] ^= 0x01;
    write_file(artifact, bytes);
    auto result = staged.verify({staged.day_dir().string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD files.tar.zst.age  sha256 mismatch")) << result.out;
    EXPECT_TRUE(has_line(result.out, "ok  system.tar.zst.age  ")) << result.out;
    EXPECT_TRUE(has_line(result.out, "NOT VERIFIED: 2026-11-22: 1 check failed")) << result.out;
}

TEST(Verify, ARemovedArtifact) {
    StagedTree staged;
    fs::remove(staged.day_dir() / "system.tar.zst.age");
    auto result = staged.verify({staged.day_dir().string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD system.tar.zst.age  missing")) << result.out;
}

TEST(Verify, AnExtraFileAndAHostileNameThatIsShownEscaped) {
    StagedTree staged;
    write_file(staged.day_dir() / "extra.txt", "not signed");
    write_file(staged.day_dir() / "db/evil\x1b]0;owned\x07.age", "x");
    auto result = staged.verify({staged.day_dir().string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD extra.txt  not listed in SHA256SUMS (a file)"))
        << result.out;
    EXPECT_TRUE(has_line(result.out,
                         "BAD db/evil\\033]0;owned\\007.age  not listed in SHA256SUMS (a file)"))
        << result.out;
    EXPECT_EQ(result.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(result.out.find('\x07'), std::string::npos);
    EXPECT_TRUE(has_line(result.out, "NOT VERIFIED: 2026-11-22: 2 checks failed")) << result.out;
}

TEST(Verify, AnEditedSha256sumsResignedWithAnotherKey) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    // The thief swaps an artifact and re-signs the sums with a key of their own.
    write_file(tree / "system.tar.zst.age", read_file(tree / "spool-mail.tar.zst.age"));
    staged.relist_and_sign(tree, staged.other());
    auto result = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD signature  ")) << result.out;
    EXPECT_TRUE(has_line(result.out, "--  day  not checked")) << result.out;
    // And an edit with no re-signing at all.
    StagedTree second;
    std::string sums = read_file(second.day_dir() / "SHA256SUMS");
    sums[0] = sums[0] == 'a' ? 'b' : 'a';
    write_file(second.day_dir() / "SHA256SUMS", sums);
    auto unsigned_edit =
        second.verify({second.day_dir().string(), "-P", second.public_key.string()});
    EXPECT_EQ(unsigned_edit.exit_status, 4) << unsigned_edit.out;
    EXPECT_TRUE(has_line(unsigned_edit.out, "BAD signature  ")) << unsigned_edit.out;
}

TEST(Verify, AWrongPublicKey) {
    StagedTree staged;
    auto result =
        staged.verify({staged.day_dir().string(), "-P", staged.other_public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD signature  ")) << result.out;
    EXPECT_TRUE(has_line(result.out, "NOT VERIFIED")) << result.out;
}

TEST(Verify, ASignedTreeReplayedUnderAnotherDaysName) {
    StagedTree staged;
    TempDir elsewhere;
    fs::path replayed = copy_tree(staged.day_dir(), elsewhere / "2026-11-23");
    auto result = staged.verify({replayed.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD day  the signature is for 2026-11-22, not for this "
                                     "directory, 2026-11-23"))
        << result.out;
    // Published in the served root under the other day's name too.
    fs::rename(staged.day_dir(), staged.served / "2026-11-23");
    auto served = staged.verify(
        {"2026-11-23", "--staging-root", staged.served.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(served.exit_status, 4) << served.out;
}

TEST(Verify, ASymlinkPlantedInPlaceOfAnArtifactIsNotFollowed) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    // The symlink points at a true copy: following it would pass the digest.
    TempDir elsewhere;
    fs::copy_file(tree / "files.tar.zst.age", elsewhere / "files.tar.zst.age");
    fs::remove(tree / "files.tar.zst.age");
    fs::create_symlink(elsewhere / "files.tar.zst.age", tree / "files.tar.zst.age");
    // And a directory on the way to an artifact.
    copy_tree(tree / "db", elsewhere / "db");
    fs::remove_all(tree / "db");
    fs::create_directory_symlink(elsewhere / "db", tree / "db");
    auto result = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(
        has_line(result.out, "BAD files.tar.zst.age  a symlink, not a regular file (not followed)"))
        << result.out;
    EXPECT_TRUE(has_line(result.out, "BAD db/mariadb/sales.sql.zst.age  db is a symlink or not a "
                                     "directory (not followed)"))
        << result.out;
    EXPECT_TRUE(has_line(result.out, "BAD db  not listed in SHA256SUMS (a symlink)")) << result.out;
}

TEST(Verify, AFifoUnderAnArtifactsNameIsRefusedWithoutBlocking) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    fs::remove(tree / "system.tar.zst.age");
    ASSERT_EQ(::mkfifo((tree / "system.tar.zst.age").c_str(), 0600), 0);
    auto result = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "BAD system.tar.zst.age  a fifo, not a regular file"))
        << result.out;
}

TEST(Verify, ListedNamesOutsideTheLayoutAreRefusedUnopened) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    write_file(staged.served / "outside.age", "outside the day");
    staged.relist_and_sign(tree, staged.signing(), [](staging::Sha256Sums& sums) {
        sums["../outside.age"] = {};
        sums["notes.txt"] = {};
    });
    auto result = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out,
                         "BAD ../outside.age  listed, but not a name of the layout (not opened)"))
        << result.out;
    EXPECT_TRUE(
        has_line(result.out, "BAD notes.txt  listed, but not a name of the layout (not opened)"))
        << result.out;
}

TEST(Verify, ATruncatedArtifactResignedWithTheRealKeyIsCaughtByDecryptionOnly) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    fs::path artifact = tree / "files.tar.zst.age";
    // Cut at a chunk boundary: the payload is then whole chunks, only the final one missing.
    std::string bytes = read_file(artifact);
    std::size_t header = bytes.find("\n--- ") + 5 + 43 + 1;
    std::size_t cut = header + 16 + 2 * (65536 + 16);
    ASSERT_LT(cut, bytes.size() - 1);
    write_file(artifact, bytes.substr(0, cut));
    staged.rewrite_report(tree);
    staged.relist_and_sign(tree, staged.signing());

    auto without = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(without.exit_status, 0) << without.out << without.err;
    auto with = staged.verify(
        {tree.string(), "-P", staged.public_key.string(), "-i", staged.identity_file.string()});
    EXPECT_EQ(with.exit_status, 4) << with.out << with.err;
    EXPECT_TRUE(has_line(with.out, "BAD files.tar.zst.age  age: the file ends after payload chunk "
                                   "2 without a final chunk (truncated at a chunk boundary)"))
        << with.out;

    // A cut that leaves a final chunk shorter than its tag: the lengths alone show it, with no
    // identity. (A cut leaving 17 bytes or more looks like a short final chunk: -i again.)
    write_file(artifact, bytes.substr(0, cut + 10));
    staged.rewrite_report(tree);
    staged.relist_and_sign(tree, staged.signing());
    auto mid_chunk = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(mid_chunk.exit_status, 4) << mid_chunk.out;
    EXPECT_TRUE(has_line(mid_chunk.out, "BAD files.tar.zst.age  age: the payload does not end on "
                                        "a chunk (truncated after 2 full chunks)"))
        << mid_chunk.out;
}

TEST(Verify, ACorruptZstdLayerInsideAValidAgeFile) {
    StagedTree staged(/*break_spool_zstd=*/true);
    fs::path tree = staged.day_dir();
    auto without = staged.verify({tree.string(), "-P", staged.public_key.string()});
    EXPECT_EQ(without.exit_status, 0) << without.out << without.err;
    auto with = staged.verify(
        {tree.string(), "-P", staged.public_key.string(), "-i", staged.identity_file.string()});
    EXPECT_EQ(with.exit_status, 4) << with.out << with.err;
    EXPECT_TRUE(has_line(with.out, "BAD spool-mail.tar.zst.age  zstd: ")) << with.out;
    EXPECT_TRUE(has_line(with.out, "ok  files.tar.zst.age  ")) << with.out;
}

TEST(Verify, UsageAndKeyErrors) {
    StagedTree staged;
    EXPECT_EQ(staged.verify({}).exit_status, 2);
    write_file(staged.dir / "garbage.pub", "not a key\n");
    auto garbage =
        staged.verify({staged.day_dir().string(), "-P", (staged.dir / "garbage.pub").string()});
    EXPECT_EQ(garbage.exit_status, 2) << garbage.err;
    auto no_key = staged.verify(
        {staged.day_dir().string(), "--signing-key", (staged.dir / "nowhere.key").string()});
    EXPECT_EQ(no_key.exit_status, 2) << no_key.err;
    EXPECT_NE(no_key.err.find("give -P PUBKEY_FILE"), std::string::npos) << no_key.err;
    auto bad_identity = staged.verify({staged.day_dir().string(), "-P", staged.public_key.string(),
                                       "-i", (staged.dir / "garbage.pub").string()});
    EXPECT_EQ(bad_identity.exit_status, 2) << bad_identity.err;
}

TEST(Verify, AnUnreadableArtifactIsAnErrorNotAVerdict) {
    StagedTree staged;
    fs::path tree = staged.day_dir();
    // An ordinary user who may read the tree except one file (root reads everything).
    for (const auto& path :
         {staged.dir.path(), staged.served, tree, tree / "db", tree / "db/mariadb"}) {
        fs::permissions(path, fs::perms(0755));
    }
    for (const auto& entry : fs::recursive_directory_iterator(tree)) {
        if (entry.is_regular_file()) {
            fs::permissions(entry.path(), fs::perms(0644));
        }
    }
    fs::permissions(staged.public_key, fs::perms(0644));
    fs::permissions(tree / "system.tar.zst.age", fs::perms(0600));
    fs::permissions(staged.dir.path().parent_path(), fs::perms::others_exec, fs::perm_options::add);
    auto result = run_command({"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                               test::built_program("offstage").string(), "verify", tree.string(),
                               "-P", staged.public_key.string()});
    EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
    EXPECT_TRUE(has_line(result.out, "ERR system.tar.zst.age  Permission denied")) << result.out;
    EXPECT_TRUE(has_line(result.out, "NOT VERIFIED: 2026-11-22: 1 item could not be read"))
        << result.out;
}
