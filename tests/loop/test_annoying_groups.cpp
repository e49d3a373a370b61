// stager/report/annoying_groups: which directory a file groups under, the order of the groups,
// and commands that give a shell back the exact bytes of a hostile name.
#include "stager/report/annoying_groups.hpp"
#include "tests/support/run_command.hpp"

#include <gtest/gtest.h>

using offstage::report::accept_command;
using offstage::report::annoying_group_of;
using offstage::report::group_annoying_files;
using offstage::report::is_shared_directory;
using offstage::report::shell_quoted;

TEST(AnnoyingGroups, AFileGroupsUnderTheDirectoryBelowItsDeepestSharedAncestor) {
    EXPECT_EQ(annoying_group_of("/var/lib/foo/data/x/1"), "/var/lib/foo/");
    EXPECT_EQ(annoying_group_of("/etc/foo.conf"), "/etc/foo.conf");
    EXPECT_EQ(annoying_group_of("/etc/myapp/a/b"), "/etc/myapp/");
    EXPECT_EQ(annoying_group_of("/data/x/y"), "/data/");
    EXPECT_EQ(annoying_group_of("/x"), "/x");
    EXPECT_EQ(annoying_group_of("/usr/local/bin/tool"), "/usr/local/bin/tool");
    EXPECT_EQ(annoying_group_of("/usr/lib/x86_64-linux-gnu/libx.so"),
              "/usr/lib/x86_64-linux-gnu/libx.so");
    EXPECT_EQ(annoying_group_of("/usr/local/lib/python3.11/dist-packages/pkg/m.py"),
              "/usr/local/lib/python3.11/dist-packages/pkg/");
    EXPECT_EQ(annoying_group_of("/var/lib/postgresql/15/main/base/1"), "/var/lib/postgresql/");
}

TEST(AnnoyingGroups, TheSharedTableIsSortedSoItsLookupFindsEveryRow) {
    for (const char* directory : {"/boot", "/etc", "/etc/apt/trusted.gpg.d", "/etc/systemd/system",
                                  "/home", "/usr/local/share", "/var/lib", "/var/www"}) {
        EXPECT_TRUE(is_shared_directory(directory)) << directory;
    }
    EXPECT_FALSE(is_shared_directory("/var/lib/foo"));
}

TEST(AnnoyingGroups, NineHundredSixtyThreeFilesOfOneDirectoryAreOneGroup) {
    std::vector<std::string> files;
    for (int i = 0; i < 963; ++i) {
        files.push_back("/var/lib/foo/d" + std::to_string(i % 7) + "/" + std::to_string(i));
    }
    files.push_back("/etc/lonely.conf");
    files.push_back("/srv/site/a");
    files.push_back("/srv/site/b");
    auto groups = group_annoying_files(files, {"/srv/site/b", "/not/annoying"});
    ASSERT_EQ(groups.size(), 3u);
    // New groups first, then by size, then by path.
    EXPECT_EQ(groups[0].path, "/srv/site/");
    EXPECT_TRUE(groups[0].directory);
    EXPECT_EQ(groups[0].files, 2u);
    EXPECT_EQ(groups[0].new_files, 1u);
    EXPECT_EQ(groups[1].path, "/var/lib/foo/");
    EXPECT_EQ(groups[1].files, 963u);
    EXPECT_FALSE(groups[1].is_new());
    EXPECT_EQ(groups[2].path, "/etc/lonely.conf");
    EXPECT_FALSE(groups[2].directory);
    // A directory group of one file names the file: the narrowest rule.
    auto one = group_annoying_files({"/var/lib/bar/deep/state"});
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(one[0].path, "/var/lib/bar/deep/state");
    EXPECT_FALSE(one[0].directory);
}

TEST(AnnoyingGroups, TheCommandGivesTheShellBackTheExactBytes) {
    EXPECT_EQ(shell_quoted("/var/lib/foo/"), "/var/lib/foo/");
    EXPECT_EQ(shell_quoted("/srv/my file"), "'/srv/my file'");
    EXPECT_EQ(shell_quoted("/srv/it's"), "$'/srv/it\\047s'");
    EXPECT_EQ(shell_quoted(std::string("/x\n\xff\x1b[2J", 8)), "$'/x\\012\\377\\033[2J'");
    offstage::report::AnnoyingGroup group{"/srv/a b/", true, 2, 0};
    EXPECT_EQ(accept_command(group, "exclude", "/etc/o.toml"),
              "offstage --config /etc/o.toml policy accept '/srv/a b/' --as exclude");
    // bash reads each back to the very bytes.
    for (std::string name : {std::string("/srv/my file"), std::string("/srv/it's"),
                             std::string("/x\n\xff\x1b[2J$(reboot)`id`\\", 22),
                             std::string("/r\xc3\xa9sum\xc3\xa9")}) {
        auto echoed =
            offstage::test::run_command({"bash", "-c", "printf '%s' " + shell_quoted(name)});
        ASSERT_EQ(echoed.exit_status, 0) << echoed.err;
        EXPECT_EQ(echoed.out, name);
    }
}
