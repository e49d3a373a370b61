// `offstage archive` when its output cannot be written as asked: a full file system (a real
// tmpfs, mounted for the test), and more recipients than an age header the reader accepts can
// hold. Either way the run fails with a message and leaves no output behind. Run under ASan
// (CI does), the full-disk case also proves the failure path frees what it allocated.
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <gtest/gtest.h>
#include <random>
#include <sys/mount.h>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr int exit_failure = 1;

std::string offstage() {
    return built_program("offstage").string();
}

// A tmpfs of `size` mounted on `where` for the length of a test, detached even when it fails.
class ScopedTmpfs {
public:
    ScopedTmpfs(const fs::path& where, const std::string& size)
        : where_(where) {
        fs::create_directories(where);
        const std::string options = "size=" + size;
        if (::mount("offstage-test", where.c_str(), "tmpfs", MS_NOSUID | MS_NODEV,
                    options.c_str()) != 0) {
            error_ = errno;
        }
    }
    ~ScopedTmpfs() {
        if (error_ == 0) {
            ::umount2(where_.c_str(), MNT_DETACH);
        }
    }
    ScopedTmpfs(const ScopedTmpfs&) = delete;
    ScopedTmpfs& operator=(const ScopedTmpfs&) = delete;
    int error() const { return error_; }

private:
    fs::path where_;
    int error_ = 0;
};

std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    return names;
}

class ArchiveOutputErrors : public ::testing::Test {
protected:
    void SetUp() override {
        CommandResult keygen = run_command({"age-keygen", "-o", identity_.string()});
        ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
        std::string key = read_file(identity_);
        auto at = key.find("# public key: ");
        ASSERT_NE(at, std::string::npos);
        recipient_ = key.substr(at + 14, key.find('\n', at) - at - 14);
    }

    TempDir temp_{"offstage-archive-output"};
    fs::path identity_ = temp_ / "key.txt";
    std::string recipient_;
};

class FullDisk : public ArchiveOutputErrors, public ::testing::WithParamInterface<const char*> {};

TEST_P(FullDisk, FailsWithStatusOneAndLeavesNoOutput) {
    const fs::path full = temp_ / "full";
    ScopedTmpfs tmpfs(full, "5m");
    if (tmpfs.error() != 0) {
        GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(tmpfs.error());
    }
    // 20 MB that no compression shrinks below 5 MB.
    const fs::path input = temp_ / "in" / "random";
    fs::create_directories(input.parent_path());
    {
        std::ofstream out(input, std::ios::binary);
        std::mt19937_64 random(7);
        std::vector<std::uint64_t> block(1 << 17);
        for (int i = 0; i < 20; ++i) {
            for (auto& word : block) {
                word = random();
            }
            out.write(reinterpret_cast<const char*>(block.data()), 1 << 20);
        }
    }
    CommandResult made =
        run_command({offstage(), "archive", "-r", recipient_, "--compression", GetParam(), "-o",
                     (full / "out.tar.age").string(), input.string()});
    EXPECT_EQ(made.exit_status, exit_failure) << made.err;
    EXPECT_NE(made.err.find("No space left on device"), std::string::npos) << made.err;
    EXPECT_EQ(made.err.find("LeakSanitizer"), std::string::npos) << made.err;
    EXPECT_TRUE(names_in(full).empty()) << "left behind: " << names_in(full).front();
}

INSTANTIATE_TEST_SUITE_P(Compression, FullDisk, ::testing::Values("none", "zstd"));

// 20,000 recipients make a header of about 2 MiB, over the 1 MiB that offstage's own reader
// accepts: refused before any output, naming the count.
TEST_F(ArchiveOutputErrors, MoreRecipientsThanTheHeaderBoundAreRefusedBeforeAnyOutput) {
    // A recipients file holds at most 1024 keys (key_file.hpp): 20 files of 1,000.
    std::string thousand;
    for (int i = 0; i < 1000; ++i) {
        thousand += recipient_ + "\n";
    }
    std::vector<std::string> recipient_options;
    for (int file = 0; file < 20; ++file) {
        recipient_options.push_back("-R");
        recipient_options.push_back(
            write_file(temp_ / ("recipients-" + std::to_string(file) + ".txt"), thousand).string());
    }
    const fs::path input = write_file(temp_ / "in" / "file", "content\n");
    const fs::path out = temp_ / "out" / "files.tar.zst.age";
    fs::create_directories(out.parent_path());
    auto archive_to = [&](const std::string& output) {
        std::vector<std::string> argv{offstage(), "archive"};
        argv.insert(argv.end(), recipient_options.begin(), recipient_options.end());
        argv.insert(argv.end(), {"-o", output, input.string()});
        return run_command(argv);
    };

    CommandResult to_file = archive_to(out.string());
    EXPECT_EQ(to_file.exit_status, exit_failure) << to_file.err;
    EXPECT_NE(to_file.err.find("20000 recipients"), std::string::npos) << to_file.err;
    EXPECT_NE(to_file.err.find("1 MiB"), std::string::npos) << to_file.err;
    EXPECT_TRUE(names_in(out.parent_path()).empty())
        << "left behind: " << names_in(out.parent_path()).front();

    CommandResult to_stdout = archive_to("-");
    EXPECT_EQ(to_stdout.exit_status, exit_failure) << to_stdout.err;
    EXPECT_TRUE(to_stdout.out.empty()) << to_stdout.out.size() << " bytes written";
}

} // namespace
} // namespace offstage::test
