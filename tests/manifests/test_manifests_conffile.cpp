#include "manifests/conffile.hpp"
#include "tests/support/as_nobody.hpp"
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace offstage::manifests {
namespace {

// md5("hello\n"), as dpkg records it.
constexpr const char* hello_md5 = "b1946ac92492d2347c6235b4d2611184";

Conffile make(const std::string& path, const std::string& md5) {
    Conffile conffile;
    conffile.path = path;
    conffile.md5 = md5;
    return conffile;
}

TEST(Conffile, StatesFromTheRecordedHash) {
    test::TempDir root;
    test::write_file(root / "etc/same.conf", "hello\n");
    test::write_file(root / "etc/edited.conf", "hello, edited\n");
    test::write_file(root / "etc/old.conf", "hello\n");
    test::write_file(root / "etc/new.conf", "anything\n");
    std::filesystem::create_symlink("same.conf", root / "etc/link.conf");
    ::mkfifo((root / "etc/fifo.conf").c_str(), 0644);

    Conffile same = make("/etc/same.conf", hello_md5);
    Conffile edited = make("/etc/edited.conf", hello_md5);
    Conffile gone = make("/etc/gone.conf", hello_md5);
    Conffile old = make("/etc/old.conf", hello_md5);
    old.obsolete = true;
    Conffile fresh = make("/etc/new.conf", "newconffile");
    Conffile link = make("/etc/link.conf", hello_md5);
    Conffile fifo = make("/etc/fifo.conf", hello_md5);
    for (Conffile* conffile : {&same, &edited, &gone, &old, &fresh, &link, &fifo}) {
        conffile->assess(root.path());
    }
    EXPECT_EQ(same.state, ConffileState::unchanged);
    EXPECT_EQ(edited.state, ConffileState::modified);
    EXPECT_EQ(gone.state, ConffileState::missing);
    EXPECT_EQ(old.state, ConffileState::obsolete);
    EXPECT_EQ(fresh.state, ConffileState::fresh);
    EXPECT_EQ(to_string(fresh.state), "new");
    // A symlink where the file was is never followed (it could lead out of the root).
    EXPECT_EQ(link.state, ConffileState::modified);
    EXPECT_EQ(fifo.state, ConffileState::modified); // and a FIFO is never read
}

TEST(Conffile, NeverReadsOutsideTheRootThroughASymlinkAbove) {
    // ROOT/etc is a symlink to a host directory holding a file of the recorded hash. Inside the
    // root, /etc leads to that path below the root, where there is nothing: the conffile is
    // missing, and the host's file is never opened.
    test::TempDir outside;
    test::write_file(outside / "same.conf", "hello\n");
    test::TempDir root;
    std::filesystem::create_directory_symlink(outside.path(), root / "etc");
    test::write_file(root / "up/placeholder", "");
    std::filesystem::create_directory_symlink("../../../../../../..", root / "up/top");
    Conffile through_etc = make("/etc/same.conf", hello_md5);
    Conffile through_dots = make("/up/top" + (outside / "same.conf").string(), hello_md5);
    through_etc.assess(root.path());
    through_dots.assess(root.path());
    EXPECT_EQ(through_etc.state, ConffileState::missing);
    EXPECT_EQ(through_dots.state, ConffileState::missing);

    // A symlink that stays inside the root is resolved as the root's own system would.
    test::write_file(root / "real/etc/same.conf", "hello\n");
    std::filesystem::create_directory_symlink("/real/etc", root / "conf");
    Conffile inside = make("/conf/same.conf", hello_md5);
    inside.assess(root.path());
    EXPECT_EQ(inside.state, ConffileState::unchanged);
}

TEST(Conffile, AnUnreadableConffileIsUnknownWithItsErrorNotAnException) {
    test::TempDir root;
    std::filesystem::permissions(root.path(), std::filesystem::perms(0755));
    test::write_file(root / "etc/secret.conf", "hello\n", std::filesystem::perms(0600));
    int status = test::run_as_nobody([&]() {
        Conffile secret = make("/etc/secret.conf", hello_md5);
        secret.assess(root.path());
        return secret.state == ConffileState::unknown && secret.error == EACCES &&
                       secret.failed_call == "open conffile" && to_string(secret.state) == "unknown"
                   ? 0
                   : 10;
    });
    EXPECT_EQ(status, 0);
}

} // namespace
} // namespace offstage::manifests
