// Unit tests of forced-shell/staging_root.cpp against a real directory tree: symlinks that
// point out, sibling-prefix names, absolute paths, work dirs, and a component swapped after
// the check.
#include "forced-shell/refusal.hpp"
#include "forced-shell/shell_command.hpp"
#include "forced-shell/staging_root.hpp"
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <unistd.h>

namespace offstage::forced_shell {
namespace {

namespace fs = std::filesystem;
using offstage::test::read_file;
using offstage::test::TempDir;
using offstage::test::write_file;

// The directory a "/proc/self/fd/N..." argument is held on.
std::string held_directory(const std::string& argument) {
    EXPECT_EQ(argument.rfind("/proc/self/fd/", 0), 0u) << argument;
    std::string rest = argument.substr(14);
    int fd = std::stoi(rest.substr(0, rest.find('/')));
    return fs::read_symlink("/proc/self/fd/" + std::to_string(fd)).string();
}

class StagingRootTest : public ::testing::Test {
protected:
    void SetUp() override {
        root = fs::canonical(dir.path()) / "staging";
        write_file(root / "2026-11-22/files.tar.zst.age", "encrypted day");
        write_file(root / "2026-11-22/SHA256SUMS", "sums");
        write_file(root / "2026-11-22/my dir/a b", "spaced");
        write_file(root / ".incoming-2026-11-23-abcd/files.tar.zst.age", "half a day");
        write_file(dir / "outside/secret", "outside secret");
        write_file(dir / "staging-evil/secret", "sibling secret");
        fs::create_directory_symlink("/etc", root / "out-absolute");
        fs::create_directory_symlink("../outside", root / "out-relative");
        fs::create_directory_symlink("../../outside", root / "2026-11-22/up");
        fs::create_symlink("../../outside/secret", root / "2026-11-22/secret-link");
        fs::create_directory_symlink("../staging-evil", root / "evil");
        fs::create_directory_symlink("2026-11-22", root / "latest");
        fs::create_directory_symlink(".incoming-2026-11-23-abcd", root / "sneaky");
        fs::create_directory_symlink(root / "2026-11-22", root / "absolute-inside");
    }

    std::string refusal_of(const std::string& path, bool relative = false) {
        StagingRoot staging(root);
        try {
            staging.pin(path, relative);
        } catch (const Refusal& refusal) {
            return refusal.what();
        }
        return "";
    }

    TempDir dir{"offstage-staging-root"};
    fs::path root;
};

TEST_F(StagingRootTest, RootItselfIsTheWorkingDirectory) {
    StagingRoot staging(root);
    EXPECT_EQ(staging.pin("", false), ".");
    EXPECT_EQ(staging.pin(".", false), ".");
    EXPECT_EQ(staging.pin("./", false), ".");
    EXPECT_EQ(staging.real_path(), root.string());
    EXPECT_EQ(fs::read_symlink("/proc/self/fd/" + std::to_string(staging.descriptor())), root);
}

TEST_F(StagingRootTest, DirectoryWithTrailingSlashIsHeldItself) {
    StagingRoot staging(root);
    std::string argument = staging.pin("2026-11-22/", false);
    EXPECT_TRUE(argument.ends_with("/")) << argument;
    EXPECT_EQ(held_directory(argument), (root / "2026-11-22").string());
    EXPECT_EQ(read_file(argument + "files.tar.zst.age"), "encrypted day");
    EXPECT_TRUE(staging.pin("2026-11-22/.", false).ends_with("/."));
}

TEST_F(StagingRootTest, NameIsHeldThroughItsParent) {
    StagingRoot staging(root);
    std::string argument = staging.pin("2026-11-22/files.tar.zst.age", false);
    EXPECT_TRUE(argument.ends_with("/files.tar.zst.age")) << argument;
    EXPECT_EQ(held_directory(argument), (root / "2026-11-22").string());
    EXPECT_EQ(read_file(argument), "encrypted day");
    // A day without a trailing slash is held through the root.
    std::string day = staging.pin("2026-11-22", false);
    EXPECT_EQ(held_directory(day), root.string());
    // Paths in one directory share one descriptor.
    std::string sums = staging.pin("2026-11-22/SHA256SUMS", false);
    EXPECT_EQ(held_directory(sums), held_directory(argument));
    EXPECT_EQ(staging.pinned_descriptors().size(), 2u);
}

TEST_F(StagingRootTest, RelativeModeKeepsTheTransmittedName) {
    StagingRoot staging(root);
    std::string whole = staging.pin("2026-11-22/files.tar.zst.age", true);
    EXPECT_TRUE(whole.ends_with("/./2026-11-22/files.tar.zst.age")) << whole;
    EXPECT_EQ(held_directory(whole), root.string());
    std::string marked = staging.pin("2026-11-22/./my dir/", true);
    EXPECT_TRUE(marked.ends_with("/./my dir/")) << marked;
    EXPECT_EQ(held_directory(marked), (root / "2026-11-22").string());
}

TEST_F(StagingRootTest, SymlinkInsideTheRootIsFollowedInside) {
    StagingRoot staging(root);
    std::string argument = staging.pin("latest/files.tar.zst.age", false);
    EXPECT_EQ(held_directory(argument), (root / "2026-11-22").string());
}

TEST_F(StagingRootTest, SymlinksPointingOutAreRefused) {
    for (const char* path :
         {"out-absolute", "out-absolute/", "out-absolute/passwd", "out-relative/",
          "out-relative/secret", "2026-11-22/up/secret", "2026-11-22/up/", "2026-11-22/secret-link",
          "evil/", "evil/secret", "absolute-inside/SHA256SUMS"}) {
        std::string why = refusal_of(path);
        EXPECT_NE(why.find("leaves the staging root"), std::string::npos) << path << ": " << why;
        why = refusal_of(path, true);
        EXPECT_NE(why, "") << path << " (-R)";
    }
}

TEST_F(StagingRootTest, SiblingWithTheRootAsPrefixIsOutside) {
    // "/srv/offstage-evil" starts with "/srv/offstage": a string-prefix check would let it in.
    EXPECT_NE(refusal_of("evil/secret"), "");
    EXPECT_NE(refusal_of("staging-evil/secret").find("does not exist"), std::string::npos);
    StagingRoot sibling_parent(dir.path());
    EXPECT_NO_THROW(sibling_parent.pin("staging-evil/secret", false));
}

TEST_F(StagingRootTest, AbsolutePathsAreInsideTheRootNotTheHost) {
    // "/etc/passwd" means STAGING_ROOT/etc/passwd, which does not exist.
    std::string why = refusal_of("etc/passwd");
    EXPECT_NE(why.find("does not exist"), std::string::npos) << why;
}

TEST_F(StagingRootTest, SymlinkIntoAWorkDirIsRefused) {
    EXPECT_NE(refusal_of("sneaky/").find(".incoming"), std::string::npos);
    EXPECT_NE(refusal_of("sneaky/files.tar.zst.age").find(".incoming"), std::string::npos);
}

TEST_F(StagingRootTest, MissingPathsAndFilesAsDirectoriesAreRefused) {
    EXPECT_NE(refusal_of("2026-11-21/").find("does not exist"), std::string::npos);
    EXPECT_NE(refusal_of("2026-11-22/files.tar.zst.age/").find("not a directory"),
              std::string::npos);
}

TEST_F(StagingRootTest, ASwapAfterTheCheckCannotRedirectTheHeldDirectory) {
    StagingRoot staging(root);
    std::string argument = staging.pin("2026-11-22/", false);
    // An attacker with write access swaps the checked directory for a symlink to outside.
    fs::rename(root / "2026-11-22", root / "moved-away");
    fs::create_directory_symlink(dir / "outside", root / "2026-11-22");
    EXPECT_EQ(read_file(argument + "files.tar.zst.age"), "encrypted day");
    EXPECT_FALSE(fs::exists(argument + "secret"));
}

TEST_F(StagingRootTest, ASwapOfTheParentAfterTheCheckCannotRedirectTheName) {
    StagingRoot staging(root);
    std::string argument = staging.pin("2026-11-22/files.tar.zst.age", false);
    fs::rename(root / "2026-11-22", root / "moved-away");
    fs::create_directory_symlink(dir / "outside", root / "2026-11-22");
    EXPECT_EQ(read_file(argument), "encrypted day");
}

TEST_F(StagingRootTest, MissingRootIsASystemError) {
    EXPECT_THROW(StagingRoot(dir / "no-such-root"), std::system_error);
}

TEST_F(StagingRootTest, RsyncArgvConfinesAndSeparatesThePaths) {
    StagingRoot staging(root);
    ShellCommand command = ShellCommand::parse(
        "rsync --server --sender -logDtpre.iLsfxCIvu --bwlimit=1000 . /2026-11-22/ "
        "2026-11-22/SHA256SUMS");
    std::vector<std::string> argv = command.rsync_argv("/usr/bin/rsync", staging);
    ASSERT_EQ(argv.size(), 11u);
    EXPECT_EQ(argv[0], "/usr/bin/rsync");
    EXPECT_EQ(argv[1], "--server");
    EXPECT_EQ(argv[2], "--sender");
    EXPECT_EQ(argv[3], "-logDtpre.iLsfxCIvu");
    EXPECT_EQ(argv[4], "--bwlimit=1000");
    EXPECT_EQ(argv[5], "--confine-root=" + root.string());
    EXPECT_EQ(argv[6], "--exclude=.incoming*");
    EXPECT_EQ(argv[7], "--");
    EXPECT_EQ(argv[8], ".");
    EXPECT_EQ(held_directory(argv[9]), (root / "2026-11-22").string());
    EXPECT_TRUE(argv[10].ends_with("/SHA256SUMS"));
}

} // namespace
} // namespace offstage::forced_shell
