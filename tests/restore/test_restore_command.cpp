// `offstage restore` through the built binary on a real day: `offstage run` stages a copy of the
// tiny dpkg root of tests/selection in which annoying files were planted (owners, modes, times,
// xattrs, ACLs, a hardlink pair, a symlink, a sparse file), then every restore is compared with
// the originals by the stock tools' view of them (lstat, getfattr, getfacl). Runs as root.
#include "stager/age/identity.hpp"
#include "stager/restore/day_restorer.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

namespace fs = std::filesystem;
using offstage::test::built_program;
using offstage::test::CommandResult;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

constexpr const char* day = "2026-11-22";

CommandResult must(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    EXPECT_EQ(result.exit_status, 0) << argv[0] << ": " << result.out << result.err;
    return result;
}

void set_times(const fs::path& path, time_t seconds, long nanoseconds) {
    struct timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

// One staged day shared by the tests: building it takes a dpkg root and a run.
struct StagedDay {
    TempDir dir{"offstage-restore"};
    fs::path root = dir / "root";
    fs::path planted = root / "srv/planted"; // "expect /srv/" in the tiny root's policy
    fs::path staging = dir / "srv/offstage";
    fs::path identity = dir / "identity.txt";
    fs::path public_key = dir / "signing.pub";
    fs::path tree = staging / day;

    StagedDay() {
        const TinyDebianRoot& tiny = TinyDebianRoot::shared();
        must({"cp", "-a", tiny.root().string(), root.string()});
        plant();
        fs::create_directories(staging);
        must({"age-keygen", "-o", identity.string()});
        std::string recipient = must({"age-keygen", "-y", identity.string()}).out;
        recipient.erase(recipient.find_last_not_of('\n') + 1);
        write_file(dir / "offstage.toml",
                   "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                       (dir / "state/signing.key").string() + "\"\n[run]\nlock = \"" +
                       (dir / "run.lock").string() + "\"\nlock_wait = 1\nstate_dir = \"" +
                       (dir / "state").string() +
                       "\"\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                       (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                       root.string() + "\"\nadmindir = \"" + (root / "var/lib/dpkg").string() +
                       "\"\npolicy_dir = \"" + tiny.policy_dir().string() +
                       "\"\n[encryption]\nrecipients = [\"" + recipient +
                       "\"]\n[mail]\nrecipients = []\n");
        CommandResult ran = offstage({"run", "--day", day});
        if (ran.exit_status != 0) {
            throw std::runtime_error("offstage run: " + ran.out + ran.err);
        }
        write_file(public_key, must({built_program("offstage").string(), "key", "signing", "--key",
                                     (dir / "state/signing.key").string()})
                                   .out);
    }

    // The annoying files, each with something a careless restore loses.
    void plant() {
        fs::create_directories(planted / "sub/deeper");
        must({"chown", "1234:5678", (planted / "sub").string()});
        fs::permissions(planted / "sub", fs::perms(0751));
        write_file(planted / "owned", "owned by another uid\n");
        must({"chown", "1234:5678", (planted / "owned").string()});
        fs::permissions(planted / "owned", fs::perms(0604));
        write_file(planted / "setgid-tool", "#!/bin/sh\n");
        must({"chown", "0:5678", (planted / "setgid-tool").string()});
        fs::permissions(planted / "setgid-tool", fs::perms(02750));
        write_file(planted / "with-xattr", "xattr\n");
        must({"setfattr", "-n", "user.x", "-v", "hello", (planted / "with-xattr").string()});
        write_file(planted / "with-acl", "acl\n");
        must({"setfacl", "-m", "u:1234:r-x,g:5678:rw-", (planted / "with-acl").string()});
        write_file(planted / "link-a", "two names, one inode\n");
        fs::create_hard_link(planted / "link-a", planted / "sub/link-b");
        fs::create_symlink("../owned", planted / "sub/to-owned");
        {
            // 8 MiB with 4 KiB of data in the middle.
            std::ofstream sparse(planted / "sparse", std::ios::binary);
            sparse.seekp(4 << 20);
            sparse << std::string(4096, 's');
        }
        fs::resize_file(planted / "sparse", 8 << 20);
        write_file(planted / "sub/deeper/leaf", "leaf\n");
        must({"chown", "1234:5678", (planted / "sub/deeper").string()});
        fs::permissions(planted / "sub/deeper", fs::perms(0750));
        for (const auto& entry : fs::recursive_directory_iterator(planted)) {
            set_times(entry.path(), 1000000000, 123456789);
        }
        set_times(planted / "sub", 1100000000, 0);
        set_times(planted / "sub/deeper", 1200000000, 5);
    }

    CommandResult offstage(std::vector<std::string> args) const {
        args.insert(args.begin(), {built_program("offstage").string(), "--config",
                                   (dir / "offstage.toml").string()});
        return run_command(args);
    }

    static StagedDay& shared() {
        static std::unique_ptr<StagedDay> instance = std::make_unique<StagedDay>();
        return *instance;
    }
};

// What the stock tools say of one file: type, mode, owner, times, size, content or link target,
// xattrs and ACL. Equal descriptions: the file was restored whole.
std::string describe(const fs::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        return "missing";
    }
    std::string text = "mode " + std::to_string(info.st_mode) + " owner " +
                       std::to_string(info.st_uid) + ":" + std::to_string(info.st_gid) + " mtime " +
                       std::to_string(info.st_mtim.tv_sec) + "." +
                       std::to_string(info.st_mtim.tv_nsec) + " size " +
                       std::to_string(info.st_size) + " nlink " + std::to_string(info.st_nlink);
    if (S_ISLNK(info.st_mode)) {
        text += " -> " + fs::read_symlink(path).string();
        return text;
    }
    if (S_ISREG(info.st_mode)) {
        text += " content " + read_file(path);
    }
    auto attributes =
        run_command({"getfattr", "-h", "-d", "-m", "-", "--absolute-names", path.string()});
    std::string xattrs = attributes.out;
    if (auto newline = xattrs.find('\n'); newline != std::string::npos) {
        xattrs.erase(0, newline + 1); // "# file: PATH"
    }
    text += " xattrs {" + xattrs + "}";
    text += " acl {" + run_command({"getfacl", "-p", "--omit-header", path.string()}).out + "}";
    return text;
}

// Every path below `dir`, relative, sorted.
std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir)) {
        return names;
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        names.push_back(fs::relative(entry.path(), dir).string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

class OffstageRestore : public ::testing::Test {
protected:
    // The staged day plants files owned by other users and restores owners: root only (CI runs
    // as root; a package build as a user skips these).
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "restoring owners needs root";
        }
        staged_ = &StagedDay::shared();
    }
    StagedDay* staged_ = nullptr;
    TempDir scratch{"offstage-restore-target"};
    fs::path target = scratch / "target";

    CommandResult restore(const fs::path& tree, std::vector<std::string> extra) const {
        std::vector<std::string> args = {"restore", tree.string(),
                                         "-i",      staged_->identity.string(),
                                         "-P",      staged_->public_key.string(),
                                         "--to",    target.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return staged_->offstage(args);
    }

    void expect_same(const std::string& relative) const {
        EXPECT_EQ(describe(target / relative), describe(staged_->root / relative)) << relative;
    }
};

} // namespace

TEST_F(OffstageRestore, RestoresEveryFileWithItsMetadata) {
    auto result = restore(staged_->tree, {});
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("verified " + std::string(day)), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("restored files.tar.zst.age: "), std::string::npos) << result.out;
    // Directories come back with their own owner, mode and times too: the files source
    // archives the directories on the way to every member.
    for (const std::string& name : listing(staged_->planted)) {
        expect_same("srv/planted/" + name);
    }
    expect_same("srv/planted");
    // The tiny root's own selection came back too.
    for (const char* name : {"etc/tiny/local-admin.conf", "etc/tiny/a.conf", "home/u/my file"}) {
        expect_same(name);
    }
    EXPECT_EQ(listing(target / "srv/planted"), listing(staged_->planted));
    // The pair is one inode again, the sparse file still mostly holes.
    struct stat a {
    }, b{}, sparse{};
    ASSERT_EQ(::lstat((target / "srv/planted/link-a").c_str(), &a), 0);
    ASSERT_EQ(::lstat((target / "srv/planted/sub/link-b").c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
    ASSERT_EQ(::lstat((target / "srv/planted/sparse").c_str(), &sparse), 0);
    EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "the holes were written out";
}

TEST_F(OffstageRestore, RestoresOnlyTheGivenPathsAndWritesNothingElse) {
    // A directory with what is below it, and a file named with its leading '/'.
    auto result = restore(staged_->tree, {"srv/planted/sub/deeper", "/etc/tiny/a.conf"});
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_EQ(listing(target),
              (std::vector<std::string>{"etc", "etc/tiny", "etc/tiny/a.conf", "srv", "srv/planted",
                                        "srv/planted/sub", "srv/planted/sub/deeper",
                                        "srv/planted/sub/deeper/leaf"}));
    expect_same("srv/planted/sub/deeper/leaf");
    expect_same("etc/tiny/a.conf");
    EXPECT_NE(result.out.find("not selected"), std::string::npos) << result.out;
}

TEST_F(OffstageRestore, AHardlinkSelectedWithoutItsTargetGetsTheTargetsData) {
    // sub/link-b follows link-a in the archive: tar stores it as a link to link-a, which is not
    // selected.
    auto result = restore(staged_->tree, {"srv/planted/sub/link-b"});
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_EQ(listing(target), (std::vector<std::string>{"srv", "srv/planted", "srv/planted/sub",
                                                         "srv/planted/sub/link-b"}));
    EXPECT_EQ(read_file(target / "srv/planted/sub/link-b"), "two names, one inode\n");
    struct stat restored {
    }, original{};
    ASSERT_EQ(::lstat((target / "srv/planted/sub/link-b").c_str(), &restored), 0);
    ASSERT_EQ(::lstat((staged_->planted / "sub/link-b").c_str(), &original), 0);
    EXPECT_EQ(restored.st_mode, original.st_mode);
    EXPECT_EQ(restored.st_mtim.tv_sec, original.st_mtim.tv_sec);
}

TEST_F(OffstageRestore, APathThatMatchesNothingIsNamedAndTheRestIsRestored) {
    auto result = restore(staged_->tree, {"srv/planted/owned", "srv/no-such-thing"});
    EXPECT_EQ(result.exit_status, 1) << result.out << result.err;
    EXPECT_NE(result.err.find("'srv/no-such-thing'"), std::string::npos) << result.err;
    EXPECT_EQ(result.err.find("'srv/planted/owned'"), std::string::npos) << result.err;
    expect_same("srv/planted/owned");
}

TEST_F(OffstageRestore, RefusesATamperedTreeAndWritesNothing) {
    fs::path copy = scratch / day;
    must({"cp", "-a", staged_->tree.string(), copy.string()});
    fs::path artifact = copy / "files.tar.zst.age";
    {
        std::fstream file(artifact, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(static_cast<std::streamoff>(fs::file_size(artifact) / 2));
        char byte = 0;
        file.get(byte);
        file.seekp(static_cast<std::streamoff>(fs::file_size(artifact) / 2));
        file.put(static_cast<char>(byte ^ 0x01));
    }
    auto result = restore(copy, {});
    EXPECT_EQ(result.exit_status, 4) << result.out << result.err;
    EXPECT_NE(result.out.find("BAD files.tar.zst.age"), std::string::npos) << result.out;
    EXPECT_FALSE(fs::exists(target)) << "something was written";
    // --no-verify goes on, and the damaged artifact still fails (age's authentication).
    auto unverified = restore(copy, {"--no-verify"});
    EXPECT_EQ(unverified.exit_status, 4) << unverified.out << unverified.err;
    EXPECT_NE(unverified.err.find("NOT verified"), std::string::npos) << unverified.err;
}

TEST_F(OffstageRestore, RestoresTheSystemFactsOnRequest) {
    auto result = restore(staged_->tree, {"--artifact", "system.tar.zst.age"});
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;
    EXPECT_NE(result.out.find("restored system.tar.zst.age: "), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("restored files.tar.zst.age"), std::string::npos) << result.out;
    std::vector<std::string> names = listing(target);
    EXPECT_FALSE(names.empty());
    bool selections = false;
    for (const std::string& name : names) {
        selections = selections || name.find("selections") != std::string::npos;
    }
    EXPECT_TRUE(selections) << "no dpkg selections among the system facts";
    EXPECT_FALSE(fs::exists(target / "srv/planted")) << "files were restored too";
}

TEST_F(OffstageRestore, RefusesUsageErrorsBeforeWritingAnything) {
    auto not_tar = restore(staged_->tree, {"--artifact", "report.json"});
    EXPECT_EQ(not_tar.exit_status, 2) << not_tar.out << not_tar.err;
    auto absent = restore(staged_->tree, {"--artifact", "spool-none.tar.zst.age"});
    EXPECT_EQ(absent.exit_status, 2) << absent.out << absent.err;
    auto escaping = restore(staged_->tree, {"../etc"});
    EXPECT_EQ(escaping.exit_status, 2) << escaping.out << escaping.err;
    EXPECT_FALSE(fs::exists(target));
}

// The artifact read for the restore is not the one verified (changed on disk in between): the
// restorer hashes what it reads and fails as damaged. Here the "verified" digest is off by a bit.
TEST_F(OffstageRestore, AnArtifactThatChangedSinceItWasVerifiedFails) {
    offstage::restore::RestoreRequest request;
    request.day_dir = staged_->tree;
    request.identities = offstage::age::load_identities_file(staged_->identity.string());
    request.target = target;
    request.paths = {"srv/planted/owned"};
    request.verified = offstage::staging::parse_sha256sums(read_file(staged_->tree / "SHA256SUMS"));
    offstage::restore::RestoreResult result;
    offstage::restore::restore_day(request, result); // the true digests: fine
    EXPECT_EQ(result.artifacts.at(0).counts.entries, 1u);
    fs::remove_all(target);
    request.verified->at("files.tar.zst.age")[0] ^= 1;
    offstage::restore::RestoreResult changed;
    EXPECT_THROW(offstage::restore::restore_day(request, changed),
                 offstage::restore::ArtifactChangedError);
}

// docs/staging-tree.md, "Restoring": with nothing but sha256sum, age, zstd and GNU tar.
TEST_F(OffstageRestore, TheStockToolsRestoreTheSameFiles) {
    fs::create_directories(target);
    auto sums =
        run_command({"sh", "-c", "cd \"$1\" && sha256sum --check --strict --quiet SHA256SUMS", "sh",
                     staged_->tree.string()});
    ASSERT_EQ(sums.exit_status, 0) << sums.out << sums.err;
    auto restored = run_command(
        {"bash", "-c",
         "set -o pipefail; age -d -i \"$1\" \"$2/files.tar.zst.age\" | zstd -dc | "
         "tar -x --xattrs --xattrs-include='*' --acls --numeric-owner --same-permissions "
         "--same-owner -C \"$3\" srv/planted",
         "bash", staged_->identity.string(), staged_->tree.string(), target.string()});
    ASSERT_EQ(restored.exit_status, 0) << restored.out << restored.err;
    for (const std::string& name : listing(staged_->planted)) {
        if (!fs::is_directory(fs::symlink_status(staged_->planted / name))) {
            expect_same("srv/planted/" + name);
        }
    }
}
