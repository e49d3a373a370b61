// `offstage archive` run by root over paths in a directory an ordinary user owns: the user swaps
// a directory on a listed path for a symlink to a root-only directory (before the run, and again
// and again during runs), and the artifact must never hold what the symlink points at. The
// attacker is a second process as uid/gid 65534; the archive is the real binary.
#include "tests/support/as_nobody.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr int exit_partial = 5;
constexpr uid_t attacker = 65534;
const std::string secret_content = "root-only secret: 7f3c1e0a9b";

// The tree: <temp>/home/eve (eve = nobody) holding d/shadow and other/x, both hers, and
// <temp>/secret/shadow, root's alone (0700 directory, 0600 file).
class SymlinkSwap : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root: the archive runs as root, the attacker as nobody";
        }
        fs::permissions(temp_.path(), fs::perms(0755));
        for (const fs::path& dir : {eve_, eve_ / "d", eve_ / "other"}) {
            fs::create_directories(dir);
        }
        write_file(shadow_, "eve's own shadow\n");
        write_file(other_, "eve's other file\n");
        for (const fs::path& path : {eve_, eve_ / "d", shadow_, eve_ / "other", other_}) {
            ASSERT_EQ(::lchown(path.c_str(), attacker, attacker), 0) << path;
        }
        fs::create_directories(secret_dir_);
        fs::permissions(secret_dir_, fs::perms(0700));
        write_file(secret_dir_ / "shadow", secret_content, fs::perms(0600));

        CommandResult keygen = run_command({"age-keygen", "-o", identity_.string()});
        ASSERT_EQ(keygen.exit_status, 0) << keygen.err;
        std::string key = read_file(identity_);
        auto at = key.find("# public key: ");
        ASSERT_NE(at, std::string::npos);
        recipient_ = key.substr(at + 14, key.find('\n', at) - at - 14);
    }

    // Runs `offstage archive` uncompressed over `list`, then decrypts the artifact with the
    // stock age: returns the run's result and puts the plain tar in `tar`.
    CommandResult archive(const std::vector<std::string>& list, std::string& tar) {
        const fs::path artifact = temp_ / "out.tar.age";
        CommandOptions options;
        for (const std::string& path : list) {
            options.stdin_data += path + '\0';
        }
        CommandResult made =
            run_command({built_program("offstage").string(), "-q", "archive", "-r", recipient_,
                         "--compression", "none", "--from0", "-", "-o", artifact.string()},
                        options);
        CommandResult decrypted =
            run_command({"age", "-d", "-i", identity_.string(), artifact.string()});
        EXPECT_EQ(decrypted.exit_status, 0) << decrypted.err;
        tar = decrypted.out;
        fs::remove(artifact);
        return made;
    }

    TempDir temp_{"offstage-symlink-race"};
    fs::path eve_ = temp_ / "home" / "eve";
    fs::path shadow_ = eve_ / "d" / "shadow";
    fs::path other_ = eve_ / "other" / "x";
    fs::path secret_dir_ = temp_ / "secret";
    fs::path identity_ = temp_ / "key.txt";
    std::string recipient_;
};

TEST_F(SymlinkSwap, ADirectorySwappedForASymlinkBeforeTheRunIsReportedNotFollowed) {
    const fs::path d = eve_ / "d";
    const fs::path secret_dir = secret_dir_;
    ASSERT_EQ(run_as_nobody([&] {
                  if (::rename(d.c_str(), (eve_ / "d.old").c_str()) != 0 ||
                      ::symlink(secret_dir.c_str(), d.c_str()) != 0) {
                      std::perror("swap");
                      return 1;
                  }
                  return 0;
              }),
              0)
        << "1: the swap failed (see stderr); 3: could not drop root";
    ASSERT_EQ(fs::canonical(shadow_), fs::canonical(secret_dir_ / "shadow")) << "the trap is set";

    std::string tar;
    CommandResult made = archive({other_.string(), shadow_.string()}, tar);
    EXPECT_EQ(made.exit_status, exit_partial) << made.err;
    EXPECT_NE(made.err.find(shadow_.string() + ": not archived"), std::string::npos) << made.err;
    EXPECT_NE(made.err.find("symlink"), std::string::npos) << made.err;
    EXPECT_EQ(tar.find(secret_content), std::string::npos) << "the root-only file was archived";
    EXPECT_NE(tar.find("eve's other file"), std::string::npos) << "the rest is archived";

    // GNU tar sees a valid archive holding only eve's other file.
    const fs::path listing_file = write_file(temp_ / "out.tar", tar);
    CommandResult listing = run_command({"tar", "-tf", listing_file.string()});
    ASSERT_EQ(listing.exit_status, 0) << listing.err;
    EXPECT_EQ(listing.out, other_.relative_path().string() + "\n");
}

// A child as nobody that swaps eve's d for a symlink to the secret directory and back, over and
// over, until killed or `limit` has passed. Killed and reaped on destruction.
class Swapper {
public:
    Swapper(const fs::path& d, const fs::path& target, std::chrono::seconds limit) {
        int ready[2];
        if (::pipe(ready) != 0) {
            throw std::runtime_error("pipe failed");
        }
        const std::string dir = d.string();
        const std::string aside = d.string() + ".real";
        const std::string to = target.string();
        pid_ = ::fork();
        if (pid_ == 0) {
            ::close(ready[0]);
            if (::setgroups(0, nullptr) != 0 || ::setresgid(attacker, attacker, attacker) != 0 ||
                ::setresuid(attacker, attacker, attacker) != 0) {
                ::_exit(nobody_could_not_drop_root);
            }
            const auto end = std::chrono::steady_clock::now() + limit;
            bool told = false;
            while (std::chrono::steady_clock::now() < end) {
                if (::rename(dir.c_str(), aside.c_str()) != 0) {
                    continue;
                }
                if (::symlink(to.c_str(), dir.c_str()) == 0) {
                    if (!told) {
                        told = ::write(ready[1], "s", 1) == 1;
                    }
                    ::unlink(dir.c_str());
                }
                if (::rename(aside.c_str(), dir.c_str()) != 0) {
                    ::_exit(1);
                }
            }
            ::_exit(0);
        }
        ::close(ready[1]);
        char byte = 0;
        started_ = pid_ > 0 && ::read(ready[0], &byte, 1) == 1;
        ::close(ready[0]);
    }
    ~Swapper() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int status = 0;
            ::waitpid(pid_, &status, 0);
        }
    }
    Swapper(const Swapper&) = delete;
    Swapper& operator=(const Swapper&) = delete;

    bool started() const { return started_; }

private:
    pid_t pid_ = -1;
    bool started_ = false;
};

TEST_F(SymlinkSwap, ADirectorySwappedBackAndForthDuringTheRunIsNeverFollowed) {
    // Alternating between two directories, the archive must look d up again for every entry.
    std::vector<std::string> list;
    for (int i = 0; i < 3000; ++i) {
        list.push_back(shadow_.string());
        list.push_back(other_.string());
    }
    Swapper swapper(eve_ / "d", secret_dir_, std::chrono::seconds(30));
    ASSERT_TRUE(swapper.started()) << "the attacker never swapped";

    // Runs until some run has met the symlink (or 20 runs): the race was really run.
    int runs_that_met_the_swap = 0;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(4);
    for (int run = 0; run < 20; ++run) {
        SCOPED_TRACE("run " + std::to_string(run));
        std::string tar;
        CommandResult made = archive(list, tar);
        ASSERT_TRUE(made.exit_status == 0 || made.exit_status == exit_partial) << made.err;
        ASSERT_EQ(tar.find(secret_content), std::string::npos)
            << "the root-only file was archived through the symlink";
        ASSERT_NE(tar.find("eve's other file"), std::string::npos);
        if (made.exit_status == exit_partial) {
            EXPECT_NE(made.err.find(shadow_.string() + ": "), std::string::npos) << made.err;
            EXPECT_EQ(made.err.find(other_.string() + ": "), std::string::npos) << made.err;
            ++runs_that_met_the_swap;
        }
        if (runs_that_met_the_swap > 0 && std::chrono::steady_clock::now() > end) {
            break;
        }
    }
    EXPECT_GT(runs_that_met_the_swap, 0) << "no run met the swapped directory: the race never ran";
}

} // namespace
} // namespace offstage::test
