// `offstage archive -o`: what it does with what is already at the output path (a device, a FIFO,
// a symlink, a directory), that a wrong -o fails before the path list is read, that a signal
// leaves no temporary file (on whichever thread it lands), and `extract -i` with a key file that
// never ends. The real binary, real nodes made with mknod (the tests run as root), real signals.
#include "platform/termination_signals.hpp"
#include "stager/archive/atomic_output_file.hpp"
#include "tests/support/background_command.hpp"
#include "tests/support/fifo_reader.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <span>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int exit_usage = 2;

std::string offstage() {
    return built_program("offstage").string();
}

// A pipe whose write end the test holds: the path list of an archive that never ends.
class EndlessList {
public:
    EndlessList() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) {
            throw std::runtime_error("pipe2 failed");
        }
        read_end_ = fds[0];
        write_end_ = fds[1];
    }
    ~EndlessList() {
        ::close(read_end_);
        ::close(write_end_);
    }
    EndlessList(const EndlessList&) = delete;
    EndlessList& operator=(const EndlessList&) = delete;

    int read_end() const { return read_end_; }
    void add(const fs::path& path) {
        std::string entry = path.string() + '\0';
        ASSERT_EQ(::write(write_end_, entry.data(), entry.size()),
                  static_cast<ssize_t>(entry.size()));
    }

private:
    int read_end_ = -1;
    int write_end_ = -1;
};

class ArchiveOutput : public testing::Test {
protected:
    void SetUp() override {
        identity_ = temp_ / "key.txt";
        CommandResult keygen = run_command({offstage(), "key", "generate", "-o", identity_});
        ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
        recipient_ = keygen.out.substr(0, keygen.out.find('\n'));
        write_file(temp_ / "in" / "file", std::string(100000, 'x'));
    }

    std::vector<std::string> archive_argv(const std::string& output,
                                          std::vector<std::string> extra = {}) const {
        std::vector<std::string> argv = {offstage(), "-q", "archive", "-r",
                                         recipient_, "-o", output};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }

    // The ".NAME.tmp-*" files in the temporary directory.
    std::vector<std::string> temporary_files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(temp_.path())) {
            std::string name = entry.path().filename().string();
            if (name.starts_with(".") && name.find(".tmp-") != std::string::npos) {
                names.push_back(name);
            }
        }
        return names;
    }

    bool wait_for_temporary_file() const {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!temporary_files().empty()) {
                return true;
            }
            std::this_thread::sleep_for(5ms);
        }
        return false;
    }

    TempDir temp_{"offstage-archive-out"};
    fs::path identity_;
    std::string recipient_;
};

TEST_F(ArchiveOutput, ACharacterDeviceAndAFifoAreWrittenAsStreams) {
    fs::path null = temp_ / "null"; // a copy of /dev/null
    ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, ::makedev(1, 3)), 0) << std::strerror(errno);
    CommandResult to_device = run_command(
        archive_argv(null, {(temp_ / "in").string(), (temp_ / "in" / "file").string()}));
    EXPECT_EQ(to_device.exit_status, 0) << to_device.err;
    struct stat status {};
    ASSERT_EQ(::lstat(null.c_str(), &status), 0);
    EXPECT_TRUE(S_ISCHR(status.st_mode)) << "the device node was replaced";
    EXPECT_EQ(status.st_rdev, ::makedev(1, 3));

    fs::path fifo = temp_ / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    FifoReader reader(fifo);
    CommandResult to_fifo = run_command(
        archive_argv(fifo, {(temp_ / "in").string(), (temp_ / "in" / "file").string()}));
    EXPECT_EQ(to_fifo.exit_status, 0) << to_fifo.err;
    auto artifact = write_file(temp_ / "from-fifo.tar.zst.age", reader.finish());
    CommandResult extracted = run_command({offstage(), "-q", "extract", "-i", identity_, "--to",
                                           (temp_ / "out").string(), artifact.string()});
    ASSERT_EQ(extracted.exit_status, 0) << extracted.err;
    EXPECT_EQ(read_file(temp_ / "out" / fs::path(temp_ / "in" / "file").relative_path()),
              std::string(100000, 'x'));
    ASSERT_EQ(::lstat(fifo.c_str(), &status), 0);
    EXPECT_TRUE(S_ISFIFO(status.st_mode)) << "the FIFO was replaced";
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

TEST_F(ArchiveOutput, ASymlinkIsRefusedAndWhatItPointsToIsUntouched) {
    auto precious = write_file(temp_ / "precious", "keep me\n");
    fs::create_symlink(precious, temp_ / "link");
    CommandResult result = run_command(
        archive_argv(temp_ / "link", {(temp_ / "in").string(), (temp_ / "in" / "file").string()}));
    EXPECT_EQ(result.exit_status, exit_usage) << result.err;
    EXPECT_NE(result.err.find("is a symbolic link"), std::string::npos) << result.err;
    EXPECT_TRUE(fs::is_symlink(temp_ / "link"));
    EXPECT_EQ(read_file(precious), "keep me\n");
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

// The path list never ends: a wrong -o must fail before it is read.
TEST_F(ArchiveOutput, AWrongOutputFailsBeforeThePathListIsRead) {
    fs::create_directory(temp_ / "directory");
    for (const auto& [output, what] : std::vector<std::pair<std::string, std::string>>{
             {(temp_ / "directory").string(), "is a directory"},
             {"", "empty"},
         }) {
        EndlessList list;
        list.add(temp_ / "in");
        BoundedRun run = run_bounded(archive_argv(output, {"--from0", "-"}), 10s, list.read_end());
        EXPECT_TRUE(exited_with(run.status, exit_usage))
            << "-o '" << output << "': " << describe_wait_status(run.status) << run.err;
        EXPECT_NE(run.err.find(what), std::string::npos) << run.err;
    }
    EXPECT_TRUE(fs::is_empty(temp_ / "directory"));
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

class ArchiveSignals : public ArchiveOutput, public testing::WithParamInterface<int> {};

TEST_P(ArchiveSignals, AnInterruptedArchiveLeavesNoTemporaryFileAndDiesOfTheSignal) {
    const int signal = GetParam();
    EndlessList list;
    list.add(temp_ / "in");
    BackgroundCommand archive(archive_argv((temp_ / "a.tar.zst.age").string(), {"--from0", "-"}),
                              list.read_end());
    ASSERT_TRUE(wait_for_temporary_file()) << "no temporary file appeared";
    ASSERT_EQ(::kill(archive.pid(), signal), 0);
    int status = archive.wait(20s);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == signal) << describe_wait_status(status);
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
    EXPECT_FALSE(fs::exists(temp_ / "a.tar.zst.age"));
}

INSTANTIATE_TEST_SUITE_P(TerminationSignals, ArchiveSignals, testing::Values(SIGTERM, SIGINT),
                         [](const testing::TestParamInfo<int>& param) {
                             return std::string(sigabbrev_np(param.param));
                         });

// Uncompressed, a second thread encrypts and writes from the start. A signal sent to that thread
// itself (tgkill) must clean up just the same.
TEST_F(ArchiveOutput, ASignalOnTheWorkerThreadCleansUpToo) {
    EndlessList list;
    list.add(temp_ / "in");
    BackgroundCommand archive(
        archive_argv((temp_ / "a.tar.age").string(), {"--compression", "none", "--from0", "-"}),
        list.read_end());
    ASSERT_TRUE(wait_for_temporary_file()) << "no temporary file appeared";
    pid_t worker = 0;
    const auto deadline = std::chrono::steady_clock::now() + 20s;
    while (worker == 0 && std::chrono::steady_clock::now() < deadline) {
        std::error_code error;
        for (const auto& task :
             fs::directory_iterator("/proc/" + std::to_string(archive.pid()) + "/task", error)) {
            pid_t tid = std::stoi(task.path().filename().string());
            if (tid != archive.pid()) {
                worker = tid;
            }
        }
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_NE(worker, 0) << "archive started no second thread";
    ASSERT_EQ(::syscall(SYS_tgkill, archive.pid(), worker, SIGTERM), 0) << std::strerror(errno);
    int status = archive.wait(20s);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe_wait_status(status);
    EXPECT_EQ(temporary_files(), std::vector<std::string>{});
}

// The handler itself, in a forked child: it removes the temporary files still open, not the
// output a finished AtomicOutputFile renamed into place, and the slots of destroyed ones are
// free again (more of them than the table holds come and go).
TEST_F(ArchiveOutput, TheHandlerRemovesOnlyTheTemporaryFilesStillOpen) {
    const fs::path dir = temp_ / "signalled";
    fs::create_directory(dir);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        platform::install_termination_cleanup();
        for (int i = 0; i < 200; ++i) {
            archive::AtomicOutputFile gone(dir / "gone");
        }
        archive::AtomicOutputFile done(dir / "done");
        done.write(std::as_bytes(std::span("complete", 8)));
        done.finish();
        archive::AtomicOutputFile open_a(dir / "open-a");
        archive::AtomicOutputFile open_b(dir / "open-b");
        open_b.write(std::as_bytes(std::span("partial", 7)));
        ::raise(SIGTERM);
        ::_exit(0); // not reached: the handler re-raises with the default action
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) << describe_wait_status(status);
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir)) {
        names.push_back(entry.path().filename().string());
    }
    EXPECT_EQ(names, std::vector<std::string>{"done"});
    EXPECT_EQ(read_file(dir / "done"), "complete");
}

TEST_F(ArchiveOutput, ExtractRefusesAKeyFileThatNeverEnds) {
    ASSERT_EQ(run_command(archive_argv(temp_ / "a.tar.zst.age",
                                       {(temp_ / "in").string(), (temp_ / "in" / "file").string()}))
                  .exit_status,
              0);
    BoundedRun run = run_bounded({offstage(), "extract", "-i", "/dev/zero", "--to",
                                  (temp_ / "out").string(), (temp_ / "a.tar.zst.age").string()},
                                 5s);
    EXPECT_TRUE(exited_with(run.status, exit_usage)) << describe_wait_status(run.status) << run.err;
    EXPECT_NE(run.err.find("/dev/zero: a character device"), std::string::npos) << run.err;
}

} // namespace
} // namespace offstage::test
