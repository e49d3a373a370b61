// `offstage key signing`: the public key that verifies SHA256SUMS.minisig, in minisign's format.
#include "stager/staging/minisign.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using offstage::staging::MinisignPublicKey;
using offstage::staging::SigningKey;
using offstage::test::built_program;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

TEST(KeySigningCommand, CreatesOnceThenPrintsTheSameMinisignPublicKey) {
    TempDir dir;
    std::string key = (dir / "signing.key").string();
    std::string offstage = built_program("offstage").string();
    auto missing = run_command({offstage, "key", "signing", "--key", key});
    EXPECT_EQ(missing.exit_status, 1);
    EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
    EXPECT_FALSE(fs::exists(key));

    auto created = run_command({offstage, "key", "signing", "--key", key, "--create"});
    ASSERT_EQ(created.exit_status, 0) << created.err;
    struct stat info {};
    ASSERT_EQ(::stat(key.c_str(), &info), 0);
    EXPECT_EQ(info.st_mode & 0777, 0600u);
    EXPECT_TRUE(created.out.starts_with("untrusted comment: minisign public key "));
    EXPECT_EQ(MinisignPublicKey::parse(created.out).key, SigningKey::load(key).public_key().key);

    auto again = run_command({offstage, "key", "signing", "--key", key, "--create"});
    EXPECT_EQ(again.exit_status, 0);
    EXPECT_EQ(again.out, created.out); // never replaced

    fs::permissions(key, fs::perms(0644));
    auto open_key = run_command({offstage, "key", "signing", "--key", key});
    EXPECT_EQ(open_key.exit_status, 1);
    EXPECT_NE(open_key.err.find("group or others"), std::string::npos) << open_key.err;
}
