// `offstage archive` and `offstage extract` as a user runs them, with real age keys
// (age-keygen), and the restore commands of docs/archive-format.md run verbatim with the stock
// age, zstd and GNU tar.
#include "tests/archive/sample_tree.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sstream>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr int exit_partial = 5;
constexpr int exit_integrity = 4;
constexpr int exit_usage = 2;
constexpr int exit_config = 3;

std::string offstage() {
    return built_program("offstage").string();
}

// The lines of the restore block of docs/archive-format.md, read at test time so that the
// document and the test cannot drift apart.
std::string documented_restore_commands() {
    std::ifstream doc(fs::path(OFFSTAGE_SOURCE_DIR) / "docs" / "archive-format.md");
    std::string line;
    std::string script;
    bool in_block = false;
    bool in_fence = false;
    while (std::getline(doc, line)) {
        if (line.rfind("<!-- begin restore commands", 0) == 0) {
            in_block = true;
        } else if (line.rfind("<!-- end restore commands", 0) == 0) {
            break;
        } else if (in_block && line.rfind("```", 0) == 0) {
            in_fence = !in_fence;
        } else if (in_fence) {
            script += line + "\n";
        }
    }
    return script;
}

class ArchiveCommands : public ::testing::Test {
protected:
    void SetUp() override {
        identity_ = temp_ / "key.txt";
        CommandResult keygen = run_command({"age-keygen", "-o", identity_.string()});
        ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
        std::string key = read_file(identity_);
        auto at = key.find("# public key: ");
        ASSERT_NE(at, std::string::npos);
        recipient_ = key.substr(at + 14, key.find('\n', at) - at - 14);
    }

    CommandResult archive(const SampleTree& tree, const fs::path& output,
                          std::vector<std::string> extra = {}) {
        std::vector<std::string> argv = {offstage(), "archive", "-r", recipient_,
                                         "--from0",  "-",       "-o", output.string()};
        argv.insert(argv.end(), extra.begin(), extra.end());
        CommandOptions options;
        options.stdin_data = tree.nul_list();
        return run_command(argv, options);
    }

    CommandResult extract(const fs::path& artifact, const fs::path& target) {
        return run_command({offstage(), "extract", "-i", identity_.string(), "--to",
                            target.string(), artifact.string()});
    }

    TempDir temp_{"offstage-archive-cmd"};
    fs::path identity_;
    std::string recipient_;
};

TEST_F(ArchiveCommands, RoundTripThroughOffstageExtract) {
    SampleTree tree(temp_ / "input");
    const fs::path artifact = temp_ / "files.tar.zst.age";
    CommandResult made = archive(tree, artifact);
    ASSERT_EQ(made.exit_status, 0) << made.err;
    EXPECT_EQ(made.err, "") << "silent when stderr is not a terminal";
    EXPECT_EQ(read_file(artifact).rfind("age-encryption.org/v1\n", 0), 0u);
    EXPECT_TRUE(fs::is_empty(temp_.path()) == false);
    for (const auto& entry : fs::directory_iterator(temp_.path())) {
        EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
            << "temporary left behind: " << entry.path();
    }
    CommandResult restored = extract(artifact, temp_ / "restored");
    ASSERT_EQ(restored.exit_status, 0) << restored.err;
    tree.expect_restored_at(temp_ / "restored", ::geteuid() == 0);
}

TEST_F(ArchiveCommands, RoundTripThroughTheDocumentedAgeZstdTarCommands) {
    const std::string script = documented_restore_commands();
    ASSERT_NE(script.find("age --decrypt"), std::string::npos) << script;
    ASSERT_NE(script.find("zstd --decompress"), std::string::npos) << script;
    ASSERT_NE(script.find("tar --extract"), std::string::npos) << script;
    SampleTree tree(temp_ / "input");
    // A chattr flag makes offstage write SCHILY.fflags, the other pax key GNU tar does not know
    // (the non-UTF-8 names give hdrcharset).
    const auto regular =
        std::find_if(tree.paths().begin(), tree.paths().end(), [](const std::string& path) {
            return fs::is_regular_file(fs::symlink_status(path));
        });
    ASSERT_NE(regular, tree.paths().end());
    CommandResult flagged = run_command({"chattr", "+d", *regular});
    ASSERT_EQ(flagged.exit_status, 0) << flagged.err;
    const fs::path artifact = temp_ / "files.tar.zst.age";
    CommandResult made = archive(tree, artifact);
    ASSERT_EQ(made.exit_status, 0) << made.err;
    fs::create_directories(temp_ / "restored");
    CommandOptions options;
    options.extra_environment = {{"IDENTITY", identity_.string()},
                                 {"ARTIFACT", artifact.string()},
                                 {"TARGET", (temp_ / "restored").string()}};
    CommandResult restored = run_command({"bash", "-e", "-o", "pipefail", "-c", script}, options);
    ASSERT_EQ(restored.exit_status, 0) << script << restored.err;
    // A clean restore is silent: a warning here (GNU tar's "Ignoring unknown extended header
    // keyword" for hdrcharset or SCHILY.fflags) would teach the admin to ignore warnings.
    EXPECT_EQ(restored.err, "") << script;
    tree.expect_restored_at(temp_ / "restored", ::geteuid() == 0);
}

TEST_F(ArchiveCommands, WithoutCompressionTheTarIsDirectlyInsideAge) {
    SampleTree tree(temp_ / "input");
    const fs::path artifact = temp_ / "files.tar.age";
    CommandResult made = archive(tree, artifact, {"--compression", "none"});
    ASSERT_EQ(made.exit_status, 0) << made.err;
    CommandResult listing = run_command({"bash", "-e", "-o", "pipefail", "-c",
                                         "age -d -i \"$0\" \"$1\" | tar -tf - | wc -l",
                                         identity_.string(), artifact.string()});
    ASSERT_EQ(listing.exit_status, 0) << listing.err;
    EXPECT_EQ(std::stoul(listing.out), tree.paths().size() - 1) << "all but the socket";
    CommandResult restored = extract(artifact, temp_ / "restored");
    ASSERT_EQ(restored.exit_status, 0) << restored.err;
    tree.expect_restored_at(temp_ / "restored", ::geteuid() == 0);
}

TEST_F(ArchiveCommands, DashStreamsTheArtifactToStandardOutput) {
    SampleTree tree(temp_ / "input");
    CommandOptions options;
    options.stdin_data = tree.nul_list();
    options.working_directory = temp_.path();
    CommandResult made =
        run_command({offstage(), "archive", "-r", recipient_, "--from0", "-", "-o", "-"}, options);
    ASSERT_EQ(made.exit_status, 0) << made.err;
    EXPECT_EQ(made.out.rfind("age-encryption.org/v1\n", 0), 0u);
    EXPECT_FALSE(fs::exists(temp_ / "-")) << "- is standard output, not a file named -";
    for (const auto& entry : fs::directory_iterator(temp_.path())) {
        EXPECT_EQ(entry.path().filename().string().find(".tmp-"), std::string::npos)
            << "no temporary file for a stream: " << entry.path();
    }
    const fs::path artifact = write_file(temp_ / "streamed.tar.zst.age", made.out);
    CommandResult restored = extract(artifact, temp_ / "restored");
    ASSERT_EQ(restored.exit_status, 0) << restored.err;
    tree.expect_restored_at(temp_ / "restored", ::geteuid() == 0);
}

TEST_F(ArchiveCommands, DashRefusesATerminal) {
    fs::path present = write_file(temp_ / "in" / "present", "x");
    // script(1) gives the command a pseudo-terminal as standard output.
    CommandResult made = run_command(
        {"script", "--quiet", "--return", "--command",
         offstage() + " archive -r " + recipient_ + " -o - " + present.string(), "/dev/null"});
    EXPECT_EQ(made.exit_status, exit_usage) << made.out << made.err;
    EXPECT_NE(made.out.find("refusing to write an encrypted archive to a terminal"),
              std::string::npos)
        << made.out;
    EXPECT_EQ(made.out.find("age-encryption.org"), std::string::npos) << "nothing was written";
}

TEST_F(ArchiveCommands, ReportedInputsGivePartialStatusAndAValidArtifact) {
    fs::path present = write_file(temp_ / "in" / "present", "here\n");
    const fs::path artifact = temp_ / "out.tar.zst.age";
    CommandOptions options;
    options.stdin_data = (temp_ / "in" / "missing").string() + '\0' + present.string() + '\0';
    CommandResult made = run_command(
        {offstage(), "archive", "-r", recipient_, "--from0", "-", "-o", artifact.string()},
        options);
    EXPECT_EQ(made.exit_status, exit_partial) << made.err;
    EXPECT_NE(made.err.find((temp_ / "in" / "missing").string() + ": vanished"), std::string::npos)
        << made.err;
    CommandResult restored = extract(artifact, temp_ / "restored");
    ASSERT_EQ(restored.exit_status, 0) << restored.err;
    EXPECT_EQ(read_file(temp_ / "restored" / present.relative_path()), "here\n");
}

TEST_F(ArchiveCommands, SettingsComeFromTheConfigAndUnknownKeysAreRefused) {
    fs::path present = write_file(temp_ / "in" / "present", std::string(100000, 'a'));
    fs::path config = write_file(temp_ / "offstage.toml",
                                 "[encryption]\nrecipients = [\"" + recipient_ +
                                     "\"]\n[archive]\ncompression = \"none\"\nlevel = 7\n");
    const fs::path artifact = temp_ / "out.tar.age";
    CommandResult made = run_command({offstage(), "--config", config.string(), "archive", "-o",
                                      artifact.string(), present.string()});
    ASSERT_EQ(made.exit_status, 0) << made.err;
    EXPECT_GT(fs::file_size(artifact), 100000u) << "compression = none was applied";
    CommandResult restored = extract(artifact, temp_ / "restored");
    ASSERT_EQ(restored.exit_status, 0) << restored.err;

    write_file(config, "[archive]\ncompresion = \"zstd\"\n");
    CommandResult refused = run_command({offstage(), "--config", config.string(), "archive", "-r",
                                         recipient_, "-o", artifact.string(), present.string()});
    EXPECT_EQ(refused.exit_status, exit_config);
    EXPECT_NE(refused.err.find("offstage.toml:2:"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("[archive] unknown key 'compresion'"), std::string::npos)
        << refused.err;
}

TEST_F(ArchiveCommands, ABadRecipientLeavesNoArtifact) {
    fs::path present = write_file(temp_ / "in" / "present", "x");
    const fs::path artifact = temp_ / "out.tar.zst.age";
    CommandResult made = run_command(
        {offstage(), "archive", "-r", "age1notakey", "-o", artifact.string(), present.string()});
    EXPECT_EQ(made.exit_status, exit_usage) << made.err;
    EXPECT_FALSE(fs::exists(artifact));
    EXPECT_EQ(std::distance(fs::directory_iterator(temp_.path()), fs::directory_iterator()), 2)
        << "only key.txt and in/";
}

TEST_F(ArchiveCommands, WrongKeyAndTruncatedArtifactAreIntegrityErrors) {
    fs::path present = write_file(temp_ / "in" / "present", std::string(300000, 'p'));
    const fs::path artifact = temp_ / "out.tar.age";
    CommandResult made = run_command({offstage(), "archive", "-r", recipient_, "--compression",
                                      "none", "-o", artifact.string(), present.string()});
    ASSERT_EQ(made.exit_status, 0) << made.err;

    fs::path other_key = temp_ / "other.txt";
    ASSERT_EQ(run_command({"age-keygen", "-o", other_key.string()}).exit_status, 0);
    CommandResult wrong = run_command({offstage(), "extract", "-i", other_key.string(), "--to",
                                       (temp_ / "wrong").string(), artifact.string()});
    EXPECT_EQ(wrong.exit_status, exit_integrity) << wrong.err;

    std::string bytes = read_file(artifact);
    fs::path truncated =
        write_file(temp_ / "truncated.tar.age", bytes.substr(0, bytes.size() - 100));
    CommandResult cut = extract(truncated, temp_ / "cut");
    EXPECT_EQ(cut.exit_status, exit_integrity) << cut.err;
    EXPECT_NE(cut.err.find("unverified"), std::string::npos) << cut.err;
}

// Peak memory stays bounded whatever the input size (the benchmark measures speed).
// The bound is offstage's; under AddressSanitizer the peak is ASan's own (its quarantine of freed
// buffers, 256 MB by default, and its shadow memory): 372 MB for what takes 83 MB without it. The
// normal build, which CI runs too, checks the bound.
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OFFSTAGE_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define OFFSTAGE_UNDER_ASAN 1
#endif

TEST_F(ArchiveCommands, PeakMemoryIsBoundedForALargeInput) {
#ifdef OFFSTAGE_UNDER_ASAN
    GTEST_SKIP() << "peak RSS under AddressSanitizer is its quarantine's and shadow's, not "
                    "offstage's: the normal build checks the bound";
#endif
    const fs::path big = temp_ / "in" / "big";
    fs::create_directories(big.parent_path());
    {
        // 384 MiB: half incompressible, half repetitive text, in 1 MiB stripes.
        std::ofstream out(big, std::ios::binary);
        std::mt19937_64 random(42);
        std::vector<std::uint64_t> stripe((1 << 20) / 8);
        const std::string text = "the quick brown fox jumps over the lazy dog 0123456789\n";
        std::string text_stripe;
        while (text_stripe.size() < (1 << 20)) {
            text_stripe += text;
        }
        text_stripe.resize(1 << 20);
        for (int i = 0; i < 384; ++i) {
            if (i % 2 == 0) {
                for (auto& word : stripe) {
                    word = random();
                }
                out.write(reinterpret_cast<const char*>(stripe.data()), 1 << 20);
            } else {
                out.write(text_stripe.data(), 1 << 20);
            }
        }
    }
    for (const char* compression : {"zstd", "none"}) {
        SCOPED_TRACE(compression);
        const fs::path artifact = temp_ / "big.age";
        // Measured by a small fresh parent: a child's peak RSS includes its parent's at
        // spawn time (vfork, exec), and this test process may have been large already.
        CommandResult made =
            run_command({"python3", "-c",
                         "import resource, subprocess, sys\n"
                         "status = subprocess.run(sys.argv[1:]).returncode\n"
                         "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
                         "sys.exit(status)\n",
                         offstage(), "archive", "-r", recipient_, "--compression", compression,
                         "-o", artifact.string(), big.string()});
        ASSERT_EQ(made.exit_status, 0) << made.err;
        const long peak_kib = std::stol(made.out);
        EXPECT_GT(peak_kib, 1000) << "the measurement measured something";
        EXPECT_LT(peak_kib, 128 * 1024) << "peak RSS in KiB, for a 384 MiB input";
        EXPECT_GT(fs::file_size(artifact), 190u << 20);
        fs::remove(artifact);
    }
}

} // namespace
} // namespace offstage::test
