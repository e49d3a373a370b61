// The bounds of key files (stager/age/key_file.hpp): a line, the file, the number of keys, and
// the kinds of file that are not read at all. Each refusal names FILE or FILE:LINE.
#include "stager/age/age_error.hpp"
#include "stager/age/identity.hpp"
#include "stager/age/key_file.hpp"
#include "stager/age/recipient.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace offstage::age {
namespace {

namespace fs = std::filesystem;

// The message of the AgeError that `load` throws, or "" when it throws none.
template <typename Load>
std::string refusal(Load load) {
    try {
        load();
    } catch (const AgeError& error) {
        return error.what();
    }
    return "";
}

TEST(AgeKeyFile, ALineLongerThanTheBoundIsRefusedNamingFileAndLine) {
    test::TempDir dir;
    std::string recipient = X25519Identity::generate().recipient().to_string();
    auto longest = test::write_file(
        dir / "longest.txt", "# " + std::string(max_key_file_line - 2, 'x') + "\n" + recipient);
    EXPECT_EQ(load_recipients_file(longest).size(), 1u);

    auto too_long = test::write_file(dir / "long.txt", recipient + "\n\n# " +
                                                           std::string(max_key_file_line, 'x') +
                                                           "\n" + recipient + "\n");
    std::string message = refusal([&] { load_recipients_file(too_long); });
    EXPECT_NE(message.find(too_long.string() + ":3: line longer than 4096 bytes"),
              std::string::npos)
        << message;
}

TEST(AgeKeyFile, AFileLargerThanTheBoundIsRefused) {
    test::TempDir dir;
    std::string comments;
    while (comments.size() <= max_key_file_size) {
        comments += "# " + std::string(1000, 'c') + "\n";
    }
    auto large = test::write_file(dir / "large.txt",
                                  comments + X25519Identity::generate().to_string() + "\n");
    std::string message = refusal([&] { load_identities_file(large); });
    EXPECT_NE(message.find(large.string() + ": larger than 1024 KiB"), std::string::npos)
        << message;
}

TEST(AgeKeyFile, MoreKeysThanTheBoundAreRefused) {
    test::TempDir dir;
    std::string recipient = X25519Identity::generate().recipient().to_string();
    std::string lines;
    for (std::size_t i = 0; i < max_keys_per_file; ++i) {
        lines += recipient + "\n";
    }
    auto most = test::write_file(dir / "most.txt", lines);
    EXPECT_EQ(load_recipients_file(most).size(), max_keys_per_file);
    auto too_many = test::write_file(dir / "many.txt", "# one too many\n" + lines + recipient);
    std::string message = refusal([&] { load_recipients_file(too_many); });
    EXPECT_NE(message.find(too_many.string() + ":1026: more than 1024 keys"), std::string::npos)
        << message;
}

TEST(AgeKeyFile, DevicesAndDirectoriesAreRefusedBeforeAnyRead) {
    test::TempDir dir;
    for (const char* device : {"/dev/zero", "/dev/urandom"}) {
        std::string message = refusal([&] { load_identities_file(device); });
        EXPECT_EQ(message, std::string(device) + ": a character device, not a key file");
    }
    std::string message = refusal([&] { load_recipients_file(dir.path()); });
    EXPECT_EQ(message, dir.path().string() + ": a directory, not a key file");
}

// A FIFO or a pipe is a key file (`-i <(pass show backup-key)`): read, up to the bounds.
TEST(AgeKeyFile, AFifoIsReadUpToTheBounds) {
    test::TempDir dir;
    fs::path fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::string identity = X25519Identity::generate().to_string();
    std::thread writer([&] {
        int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
        std::string text = "# from a pipe\n" + identity + "\n";
        EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
        ::close(fd);
    });
    auto identities = load_identities_file(fifo);
    writer.join();
    ASSERT_EQ(identities.size(), 1u);
    EXPECT_EQ(identities[0].to_string(), identity);

    // Blank lines without end: cut at the size bound. The writer sees EPIPE once the reader
    // gives up (SIGPIPE is ignored meanwhile).
    struct sigaction ignore {};
    struct sigaction saved {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &saved);
    std::thread endless([&] {
        int fd = ::open(fifo.c_str(), O_WRONLY | O_CLOEXEC);
        std::string blank(65536, '\n');
        while (::write(fd, blank.data(), blank.size()) > 0) {
        }
        ::close(fd);
    });
    std::string message = refusal([&] { load_identities_file(fifo); });
    endless.join();
    ::sigaction(SIGPIPE, &saved, nullptr);
    EXPECT_EQ(message, fifo.string() + ": larger than 1024 KiB, not a key file");
}

} // namespace
} // namespace offstage::age
