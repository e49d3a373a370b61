// What `offstage encrypt -o` and `decrypt -o` do with what is already at the output path (a
// device, a FIFO, a symlink, a directory...), that a wrong -o fails before any input is read,
// that a signal leaves no temporary file behind, and that key files which never end are
// refused at once. The real binary, real device nodes (made with mknod: the tests run as root),
// real FIFOs, real signals.
#include "tests/age/memory_streams.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/fifo_reader.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int exit_usage = 2;

CommandResult offstage(std::vector<std::string> args, const CommandOptions& options = {}) {
    args.insert(args.begin(), built_program("offstage").string());
    return run_command(args, options);
}

// offstage killed after `timeout`, its output thrown away: an input that never ends makes
// endless output.
BoundedRun offstage_bounded(std::vector<std::string> args, std::chrono::seconds timeout) {
    args.insert(args.begin(), built_program("offstage").string());
    return run_bounded(args, timeout);
}

// SIGPIPE ignored in the test process while it feeds a FIFO: if the command dies, the test sees
// EPIPE and fails instead of being killed.
class SigpipeIgnored {
public:
    SigpipeIgnored() {
        struct sigaction ignore {};
        ignore.sa_handler = SIG_IGN;
        ::sigaction(SIGPIPE, &ignore, &saved_);
    }
    ~SigpipeIgnored() { ::sigaction(SIGPIPE, &saved_, nullptr); }

private:
    struct sigaction saved_ {};
};

class AgeCliOutput : public testing::Test {
protected:
    void SetUp() override {
        auto generated = offstage({"key", "generate", "-o", key.string()});
        ASSERT_EQ(generated.exit_status, 0) << generated.err;
        recipient = generated.out.substr(0, generated.out.find('\n'));
    }

    // The ".NAME.tmp-*" files in the directory: what an interrupted or refused run left.
    std::vector<std::string> temporary_files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(dir.path())) {
            std::string name = entry.path().filename().string();
            if (name.starts_with(".") && name.find(".tmp-") != std::string::npos) {
                names.push_back(name);
            }
        }
        return names;
    }

    // Waits until a temporary file holds at least `size` bytes; its name, or "" after 20 s.
    std::string wait_for_temporary_file(std::size_t size) const {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            for (const std::string& name : temporary_files()) {
                std::error_code error;
                if (fs::file_size(dir / name, error) >= size && !error) {
                    return name;
                }
            }
            std::this_thread::sleep_for(5ms);
        }
        return "";
    }

    // An encrypted file of `size` random bytes; the plaintext.
    std::string encrypted_file(const fs::path& path, std::size_t size) {
        std::string plaintext = random_string(size);
        auto input = write_file(dir / "plain", plaintext);
        auto encrypted =
            offstage({"encrypt", "-r", recipient, "-o", path.string(), input.string()});
        EXPECT_EQ(encrypted.exit_status, 0) << encrypted.err;
        return plaintext;
    }

    TempDir dir{"offstage-age-output"};
    fs::path key = dir / "key.txt";
    std::string recipient;
};

TEST_F(AgeCliOutput, ACharacterDeviceIsWrittenThroughAndStaysADevice) {
    // A copy of /dev/null: if -o replaced it, it would become a regular file.
    fs::path null = dir / "null";
    ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, ::makedev(1, 3)), 0) << std::strerror(errno);
    std::string plaintext = encrypted_file(dir / "f.age", 100000);

    auto encrypted =
        offstage({"encrypt", "-r", recipient, "-o", null.string(), (dir / "plain").string()});
    EXPECT_EQ(encrypted.exit_status, 0) << encrypted.err;
    auto decrypted =
        offstage({"decrypt", "-i", key.string(), "-o", null.string(), (dir / "f.age").string()});
    EXPECT_EQ(decrypted.exit_status, 0) << decrypted.err;

    struct stat status {};
    ASSERT_EQ(::lstat(null.c_str(), &status), 0);
    EXPECT_TRUE(S_ISCHR(status.st_mode)) << "the device node was replaced";
    EXPECT_EQ(status.st_rdev, ::makedev(1, 3));
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

TEST_F(AgeCliOutput, AFifoIsWrittenAsAStream) {
    std::string plaintext = encrypted_file(dir / "f.age", 300000);
    fs::path fifo = dir / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);

    FifoReader ciphertext_reader(fifo);
    auto encrypted =
        offstage({"encrypt", "-r", recipient, "-o", fifo.string(), (dir / "plain").string()});
    EXPECT_EQ(encrypted.exit_status, 0) << encrypted.err;
    std::string ciphertext = ciphertext_reader.finish();
    CommandOptions pipe;
    pipe.stdin_data = ciphertext;
    auto back = offstage({"decrypt", "-i", key.string()}, pipe);
    EXPECT_EQ(back.exit_status, 0) << back.err;
    EXPECT_TRUE(back.out == plaintext) << "got " << back.out.size() << " bytes";

    FifoReader plaintext_reader(fifo);
    auto decrypted =
        offstage({"decrypt", "-i", key.string(), "-o", fifo.string(), (dir / "f.age").string()});
    EXPECT_EQ(decrypted.exit_status, 0) << decrypted.err;
    EXPECT_TRUE(plaintext_reader.finish() == plaintext);

    struct stat status {};
    ASSERT_EQ(::lstat(fifo.c_str(), &status), 0);
    EXPECT_TRUE(S_ISFIFO(status.st_mode)) << "the FIFO was replaced";
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

TEST_F(AgeCliOutput, ASymlinkIsRefusedAndWhatItPointsToIsUntouched) {
    encrypted_file(dir / "f.age", 1000);
    auto precious = write_file(dir / "precious", "keep me\n");
    fs::create_symlink(precious, dir / "link");
    fs::create_symlink(dir / "nowhere", dir / "dangling");
    fs::create_symlink("/proc/self/fd/1", dir / "stdout");
    for (const char* link : {"link", "dangling", "stdout"}) {
        for (std::vector<std::string> command :
             {std::vector<std::string>{"encrypt", "-r", recipient, (dir / "plain").string()},
              std::vector<std::string>{"decrypt", "-i", key.string(), (dir / "f.age").string()}}) {
            command.insert(command.begin() + 1, {"-o", (dir / link).string()});
            auto result = offstage(command);
            EXPECT_EQ(result.exit_status, exit_usage) << command[0] << " -o " << link;
            EXPECT_NE(result.err.find("is a symbolic link"), std::string::npos) << result.err;
            EXPECT_TRUE(fs::is_symlink(dir / link)) << command[0] << " replaced " << link;
            EXPECT_TRUE(result.out.empty()) << command[0] << " wrote through " << link;
        }
    }
    EXPECT_EQ(read_file(precious), "keep me\n");
    EXPECT_FALSE(fs::exists(dir / "nowhere"));
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

TEST_F(AgeCliOutput, DirectoriesSocketsAndBlockDevicesAreRefusedNamingWhatTheyAre) {
    encrypted_file(dir / "f.age", 1000);
    fs::create_directory(dir / "directory");
    ASSERT_EQ(::mknod((dir / "block").c_str(), S_IFBLK | 0600, ::makedev(7, 0)), 0);
    int listening = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::string socket_path = (dir / "socket").string();
    ASSERT_LT(socket_path.size(), sizeof address.sun_path);
    std::copy(socket_path.begin(), socket_path.end(), address.sun_path);
    ASSERT_EQ(::bind(listening, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);

    const std::vector<std::pair<std::string, std::string>> cases = {
        {"directory", "is a directory"},
        {"directory/", "ends with '/'"},
        {"block", "is a block device"},
        {"socket", "is a socket"},
    };
    for (const auto& [name, what] : cases) {
        for (std::vector<std::string> command :
             {std::vector<std::string>{"encrypt", "-r", recipient, (dir / "plain").string()},
              std::vector<std::string>{"decrypt", "-i", key.string(), (dir / "f.age").string()}}) {
            command.insert(command.begin() + 1, {"-o", (dir / name).string()});
            auto result = offstage(command);
            EXPECT_EQ(result.exit_status, exit_usage) << command[0] << " -o " << name;
            EXPECT_NE(result.err.find(what), std::string::npos) << result.err;
        }
    }
    ::close(listening);
    struct stat status {};
    ASSERT_EQ(::lstat((dir / "block").c_str(), &status), 0);
    EXPECT_TRUE(S_ISBLK(status.st_mode));
    ASSERT_EQ(::lstat(socket_path.c_str(), &status), 0);
    EXPECT_TRUE(S_ISSOCK(status.st_mode));
    EXPECT_TRUE(fs::is_empty(dir / "directory"));
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

// An input that never ends: the output path must be checked before it is read, not after.
TEST_F(AgeCliOutput, AWrongOutputFailsBeforeAnyInputIsRead) {
    fs::create_directory(dir / "directory");
    for (const std::string& output : {(dir / "directory").string(), std::string()}) {
        auto encrypt =
            offstage_bounded({"encrypt", "-r", recipient, "-o", output, "/dev/zero"}, 10s);
        EXPECT_TRUE(exited_with(encrypt.status, exit_usage))
            << "-o '" << output << "': " << describe_wait_status(encrypt.status) << encrypt.err;
    }
    // decrypt reads the header before it creates the output: a FIFO that the test holds open
    // and never writes to keeps that read waiting forever.
    fs::path fifo = dir / "endless";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    int held = ::open(fifo.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(held, 0);
    for (const std::string& output : {(dir / "directory").string(), std::string()}) {
        auto decrypt =
            offstage_bounded({"decrypt", "-i", key.string(), "-o", output, fifo.string()}, 10s);
        EXPECT_TRUE(exited_with(decrypt.status, exit_usage))
            << "-o '" << output << "': " << describe_wait_status(decrypt.status) << decrypt.err;
        EXPECT_NE(decrypt.err.find(output.empty() ? "empty" : "is a directory"), std::string::npos)
            << decrypt.err;
    }
    ::close(held);
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

// decrypt -o FILE of an input that arrives slowly, interrupted once partial plaintext is in the
// temporary file: the file must go, and the process must die of the signal.
class AgeCliSignals : public AgeCliOutput, public testing::WithParamInterface<int> {};

TEST_P(AgeCliSignals, AnInterruptedDecryptLeavesNoPlaintextAndDiesOfTheSignal) {
    const int signal = GetParam();
    encrypted_file(dir / "f.age", 4 * 1024 * 1024);
    std::string ciphertext = read_file(dir / "f.age");
    fs::path fifo = dir / "input";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    BackgroundCommand decrypt({built_program("offstage").string(), "decrypt", "-i", key.string(),
                               "-o", (dir / "out").string(), fifo.string()});

    // Half of the ciphertext: more than the 1 MiB that decrypt writes at a time, never the end.
    SigpipeIgnored sigpipe_ignored;
    int feed = -1;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (feed < 0 && std::chrono::steady_clock::now() < deadline) {
        feed = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC); // ENXIO until it opens
        std::this_thread::sleep_for(feed < 0 ? 5ms : 0ms);
    }
    ASSERT_GE(feed, 0) << "decrypt never opened its input";
    std::size_t fed = 0;
    while (fed < ciphertext.size() / 2 && std::chrono::steady_clock::now() < deadline) {
        pollfd writable{feed, POLLOUT, 0};
        ::poll(&writable, 1, 100);
        ssize_t n = ::write(feed, ciphertext.data() + fed, ciphertext.size() / 2 - fed);
        if (n > 0) {
            fed += static_cast<std::size_t>(n);
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            break;
        }
    }
    ASSERT_EQ(fed, ciphertext.size() / 2) << std::strerror(errno);
    std::string temporary = wait_for_temporary_file(1024 * 1024);
    ASSERT_NE(temporary, "") << "no temporary file with plaintext appeared";

    ASSERT_EQ(::kill(decrypt.pid(), signal), 0);
    int status = decrypt.wait(20s);
    ::close(feed);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal) << describe_wait_status(status);
    EXPECT_EQ(temporary_files(), std::vector<std::string>{}) << "partial plaintext left behind";
    EXPECT_FALSE(fs::exists(dir / "out"));
}

INSTANTIATE_TEST_SUITE_P(TerminationSignals, AgeCliSignals,
                         testing::Values(SIGTERM, SIGINT, SIGHUP),
                         [](const testing::TestParamInfo<int>& param) {
                             return std::string(sigabbrev_np(param.param));
                         });

TEST_F(AgeCliOutput, AnInterruptedEncryptLeavesNoTemporaryFile) {
    BackgroundCommand encrypt({built_program("offstage").string(), "encrypt", "-r", recipient, "-o",
                               (dir / "zeros.age").string(), "/dev/zero"});
    ASSERT_NE(wait_for_temporary_file(1), "") << "no temporary file appeared";
    ASSERT_EQ(::kill(encrypt.pid(), SIGTERM), 0);
    int status = encrypt.wait(20s);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe_wait_status(status);
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(dir / "zeros.age"));
}

// /dev/zero as a key file has no line ends and no end at all: refused at once, not read into
// memory until the machine runs out.
TEST_F(AgeCliOutput, KeyFilesThatNeverEndAreRefusedAtOnce) {
    encrypted_file(dir / "f.age", 1000);
    for (const auto& command : {
             std::vector<std::string>{"decrypt", "-i", "/dev/zero", (dir / "f.age").string()},
             std::vector<std::string>{"encrypt", "-R", "/dev/zero", (dir / "plain").string()},
             std::vector<std::string>{"key", "recipient", "/dev/zero"},
         }) {
        auto result = offstage_bounded(command, 5s);
        EXPECT_TRUE(exited_with(result.status, exit_usage))
            << command[0] << ": " << describe_wait_status(result.status) << result.err;
        EXPECT_NE(result.err.find("/dev/zero: a character device"), std::string::npos)
            << result.err;
    }
}

} // namespace
} // namespace offstage::test
