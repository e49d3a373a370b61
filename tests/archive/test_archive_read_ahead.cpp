// TarWriter with reader threads (ReadAhead) against TarWriter without: the same paths give the
// very same tar stream (every kind of entry of the sample tree, large files read in pieces,
// a large sparse file, hardlinks, problems in order), and files that change while the pool
// reads them are reported exactly as one thread reports them.
#include "platform/byte_stream.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/archive/read_ahead.hpp"
#include "stager/archive/tar_writer.hpp"
#include "tests/archive/sample_tree.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace offstage::archive {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

class StringSink : public platform::ByteSink {
public:
    void write(std::span<const std::byte> bytes) override {
        data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    void finish() override { ++finished; }
    std::string data;
    int finished = 0;
};

struct Written {
    std::string tar;
    std::vector<FileProblem> problems;
    TarWriterCounts counts;
};

Written write_tar(const std::vector<std::string>& paths, int threads,
                  TarWriter::BeforeReadHook hook = {}) {
    StringSink sink;
    TarWriter writer(sink, nullptr, threads);
    writer.set_reproducible(true); // reading moves atimes: leave them out of both streams
    writer.set_before_read_hook(std::move(hook));
    for (const std::string& path : paths) {
        writer.add(path);
    }
    writer.add_generated("generated/facts.txt", "made here, written after every path\n");
    writer.finish();
    EXPECT_EQ(sink.finished, 1);
    return Written{sink.data, writer.problems(), writer.counts()};
}

std::string describe(const std::vector<FileProblem>& problems) {
    std::string text;
    for (const FileProblem& problem : problems) {
        text += problem.path + ": " + problem.what + "\n";
    }
    return text;
}

std::string pattern(std::size_t size, char seed) {
    std::string text(size, '\0');
    for (std::size_t i = 0; i < size; ++i) {
        text[i] = static_cast<char>(seed + (i * 7 + i / 4093) % 61);
    }
    return text;
}

TEST(ReadAhead, GivesTheSameTarStreamAsOneThread) {
    TempDir temp("offstage-read-ahead");
    test::SampleTree tree(temp.path());
    std::vector<std::string> paths = tree.paths();
    // Large files, read in pieces: one just over a piece, one of several, one sparse.
    const fs::path big = temp / "big";
    fs::create_directory(big);
    test::write_file(big / "just-over", pattern(ReadAhead::piece_size + 1, 'a'));
    test::write_file(big / "several", pattern(5 * ReadAhead::piece_size + 12345, 'b'));
    {
        int fd = ::open((big / "sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        ASSERT_GE(fd, 0);
        const std::string data = pattern(3 * ReadAhead::piece_size / 2, 'c');
        ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 8 << 20),
                  static_cast<ssize_t>(data.size()));
        ASSERT_EQ(::pwrite(fd, data.data(), 100, 40 << 20), 100);
        ASSERT_EQ(::ftruncate(fd, 50 << 20), 0);
        ::close(fd);
    }
    ASSERT_EQ(::link((big / "several").c_str(), (big / "several-again").c_str()), 0);
    for (const char* name : {"", "/just-over", "/several", "/sparse", "/several-again"}) {
        paths.push_back(big.string() + name);
    }
    // Problems too, in order: a path that is not there, one with '..'.
    paths.push_back((temp / "not-there").string());
    paths.push_back(temp.path().string() + "/../x");
    // Many small files: far more than the pool keeps in flight.
    const fs::path many = temp / "many";
    fs::create_directory(many);
    paths.push_back(many.string());
    for (int i = 0; i < 600; ++i) {
        const std::string name = "f" + std::to_string(i);
        test::write_file(many / name, pattern(static_cast<std::size_t>(i * 997 % 70000), 'd'));
        paths.push_back((many / name).string());
    }

    Written one = write_tar(paths, 0);
    ASSERT_GT(one.counts.entries, 600u);
    for (int threads : {1, 2, 5}) {
        Written pool = write_tar(paths, threads);
        EXPECT_EQ(describe(pool.problems), describe(one.problems)) << threads << " threads";
        EXPECT_EQ(pool.counts.entries, one.counts.entries) << threads << " threads";
        EXPECT_EQ(pool.counts.bytes_read, one.counts.bytes_read) << threads << " threads";
        EXPECT_EQ(pool.counts.sockets_skipped, one.counts.sockets_skipped) << threads << " threads";
        EXPECT_TRUE(pool.tar == one.tar) << threads << " threads: the tar streams differ";
    }
    EXPECT_EQ(one.problems.size(), 2u) << describe(one.problems);
}

// A large file first, read in pieces once the writer reaches it, then many files read whole
// that fill the read-ahead budget: the readers wait for budget that only the writer frees, and
// the writer must not wait for them to read its pieces (this hung on a real root). Run in a
// child so that a hang fails the test instead of stopping the suite.
TEST(ReadAhead, ALargeFileBehindAFullBudgetNeverHangs) {
    TempDir temp("offstage-read-ahead-budget");
    std::vector<std::string> paths;
    test::write_file(temp / "large", pattern(12 * ReadAhead::piece_size + 99, 'l'));
    paths.push_back((temp / "large").string());
    for (int i = 0; i < 80; ++i) {
        const fs::path name = temp / ("medium" + std::to_string(i));
        test::write_file(name, pattern(ReadAhead::piece_size * 9 / 10, 'm'));
        paths.push_back(name.string());
    }
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        Written pool = write_tar(paths, 2);
        ::_exit(pool.counts.entries == paths.size() + 1 ? 0 : 1);
    }
    int status = 0;
    pid_t ended = 0;
    for (int waited = 0; waited < 600 && ended == 0; ++waited) {
        ended = ::waitpid(child, &status, WNOHANG);
        if (ended == 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    if (ended == 0) {
        ::kill(child, SIGKILL);
        ::waitpid(child, &status, 0);
        FAIL() << "the archive hung for 60 s with 2 readers";
    }
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "not every path was archived";
}

// Files changed at the point where their content is about to be read, small ones read whole and
// large ones read in pieces: the problems and the archive are what one thread gives.
TEST(ReadAhead, ReportsChangesWhileReadAsOneThreadDoes) {
    for (int threads : {0, 3}) {
        TempDir temp("offstage-read-ahead");
        const std::size_t large = 3 * ReadAhead::piece_size + 1000;
        std::vector<std::string> paths;
        for (const char* name : {"shrinks", "grows", "deleted", "rewritten", "steady"}) {
            for (std::size_t size : {std::size_t{300000}, large}) {
                const fs::path path = temp / (std::string(name) + "-" + std::to_string(size));
                test::write_file(path, std::string(size, 'o'));
                timespec old_times[2] = {{1500000000, 0}, {1500000000, 0}};
                ::utimensat(AT_FDCWD, path.c_str(), old_times, 0);
                paths.push_back(path.string());
            }
        }
        auto hook = [&](const std::string& path) {
            const fs::path p(path);
            const std::string name = p.filename().string();
            if (name.starts_with("shrinks")) {
                fs::resize_file(p,
                                1000 + ReadAhead::piece_size * (name.ends_with("300000") ? 0 : 1));
            } else if (name.starts_with("grows")) {
                int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
                ASSERT_EQ(::write(fd, "more", 4), 4);
                ::close(fd);
            } else if (name.starts_with("deleted")) {
                fs::remove(p);
            } else if (name.starts_with("rewritten")) {
                int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
                ASSERT_EQ(::pwrite(fd, "XYZ", 3, 10), 3);
                ::close(fd);
            }
        };
        Written written = write_tar(paths, threads, hook);
        const std::vector<std::string> expected = {
            "shrank from 300000 to 1000 bytes",
            "shrank from " + std::to_string(large) + " to " +
                std::to_string(ReadAhead::piece_size + 1000) + " bytes",
            "grew beyond 300000 bytes",
            "grew beyond " + std::to_string(large) + " bytes",
            "was deleted while read",
            "was deleted while read",
            "changed while read",
            "changed while read",
        };
        ASSERT_EQ(written.problems.size(), expected.size()) << threads << " threads:\n"
                                                            << describe(written.problems);
        for (std::size_t i = 0; i < expected.size(); ++i) {
            EXPECT_EQ(written.problems[i].path, paths[i]) << threads << " threads";
            EXPECT_NE(written.problems[i].what.find(expected[i]), std::string::npos)
                << threads << " threads: " << written.problems[i].what;
        }
        // GNU tar reads the stream to its end: every entry has the size its header says.
        const fs::path tar = test::write_file(temp / "out.tar", written.tar);
        test::CommandResult listing = test::run_command({"tar", "-tvf", tar.string()});
        EXPECT_EQ(listing.exit_status, 0) << listing.err;
    }
}

// 0 threads means one per CPU the process may use: the affinity mask (taskset, cgroup cpusets),
// not the machine's count.
TEST(ReadAhead, ThreadCountsFollowTheAffinityMask) {
    cpu_set_t saved;
    ASSERT_EQ(::sched_getaffinity(0, sizeof saved, &saved), 0);
    const int allowed = CPU_COUNT(&saved);
    EXPECT_EQ(zstd_workers_for(0), allowed);
    int first = 0;
    while (!CPU_ISSET(first, &saved)) {
        ++first;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
    EXPECT_EQ(zstd_workers_for(0), 1);
    EXPECT_EQ(zstd_workers_for(3), 3); // an explicit count stands
    ASSERT_EQ(::sched_setaffinity(0, sizeof saved, &saved), 0);
}

} // namespace
} // namespace offstage::archive
