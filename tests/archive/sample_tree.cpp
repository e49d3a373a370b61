#include "tests/archive/sample_tree.hpp"

#include "platform/system_error.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <gtest/gtest.h>
#include <stdexcept>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace offstage::test {

namespace fs = std::filesystem;

namespace {

void set_mtime(const fs::path& path, time_t seconds, long nanoseconds) {
    timespec times[2] = {{seconds, nanoseconds}, {seconds, nanoseconds}};
    if (::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
        platform::throw_errno("utimensat " + path.string());
    }
}

void run_or_throw(const std::vector<std::string>& argv) {
    CommandResult result = run_command(argv);
    if (result.exit_status != 0) {
        throw std::runtime_error(argv[0] + " failed: " + result.err);
    }
}

struct stat lstat_or_fail(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
        ADD_FAILURE() << "lstat " << path << ": " << std::strerror(errno);
    }
    return st;
}

std::string xattr_value(const fs::path& path, const char* name) {
    char value[256];
    ssize_t n = ::lgetxattr(path.c_str(), name, value, sizeof value);
    return n < 0 ? std::string("<none>") : std::string(value, static_cast<std::size_t>(n));
}

} // namespace

std::string acl_text(const fs::path& path) {
    CommandResult result = run_command({"getfacl", "-n", "--omit-header", "--", path.string()});
    return result.exit_status == 0 ? result.out : std::string();
}

SampleTree::SampleTree(const fs::path& root)
    : root_(root) {
    const fs::path top = root_ / "tree";
    fs::create_directories(top / "sub");
    write_file(top / "plain.txt", "plain content\n", fs::perms(0640));
    write_file(top / "sub" / "executable.sh", "#!/bin/sh\necho hi\n", fs::perms(0755));
    write_file(top / "empty", "");
    write_file(top / non_utf8_name, "latin-1 name\n");
    // > 100 bytes in one component, > 255 bytes in the whole path.
    const std::string long_component(120, 'L');
    const fs::path long_dir = top / long_component / (std::string(110, 'M'));
    fs::create_directories(long_dir);
    write_file(long_dir / (std::string(90, 'N') + ".txt"), "deep and long\n");
    // Symlinks: relative inside, absolute outside, relative climbing out.
    fs::create_symlink("plain.txt", top / "link-inside");
    fs::create_symlink("/etc/passwd", top / "link-absolute");
    fs::create_symlink("../../outside", top / "link-climbing");
    // Hardlinks.
    write_file(top / "hard-a", "shared inode\n");
    fs::create_hard_link(top / "hard-a", top / "sub" / "hard-b");
    // Sparse: data at the start and in the middle, holes elsewhere.
    {
        int fd = ::open((top / "sparse").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0) {
            platform::throw_errno("create sparse");
        }
        std::string block(4096, 'S');
        if (::pwrite(fd, block.data(), block.size(), 0) != 4096 ||
            ::pwrite(fd, block.data(), block.size(), 32 << 20) != 4096 ||
            ::ftruncate(fd, sparse_size) != 0) {
            ::close(fd);
            platform::throw_errno("write sparse");
        }
        ::close(fd);
    }
    // xattrs and ACLs (access on a file, access + default on a directory).
    const std::string comment = "a comment \x01 with bytes";
    if (::lsetxattr((top / "plain.txt").c_str(), "user.comment", comment.data(), comment.size(),
                    0) != 0) {
        platform::throw_errno("setxattr");
    }
    run_or_throw({"setfacl", "-m", "u:65534:r,g:65534:rw", (top / "plain.txt").string()});
    run_or_throw({"setfacl", "-m", "u:65534:rx", "-d", "-m", "u:65534:r", (top / "sub").string()});
    // A socket: skipped, never an error.
    {
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::string socket_path = (top / "socket").string();
        if (socket_path.size() < sizeof address.sun_path) {
            std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
            ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
        }
        ::close(fd);
    }
    if (::geteuid() == 0) {
        if (::lchown((top / "sub" / "executable.sh").c_str(), 65534, 65534) != 0 ||
            ::lchown((top / "link-inside").c_str(), 12345, 54321) != 0) {
            platform::throw_errno("lchown");
        }
    }
    fs::permissions(top / "sub", fs::perms(0750));

    // Every path, parents first; mtimes fixed last (children change their parents' mtime).
    std::vector<fs::path> all;
    all.push_back(top);
    for (auto it = fs::recursive_directory_iterator(top); it != fs::recursive_directory_iterator();
         ++it) {
        all.push_back(it->path());
    }
    long nanoseconds = 123456789;
    for (const fs::path& path : all) {
        paths_.push_back(path.string());
    }
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
        if (!fs::is_socket(fs::symlink_status(*it))) {
            set_mtime(*it, 1600000000 + static_cast<time_t>(nanoseconds % 1000), nanoseconds);
            nanoseconds += 1111;
        }
    }
}

std::string SampleTree::nul_list() const {
    std::string list;
    for (const std::string& path : paths_) {
        list += path;
        list.push_back('\0');
    }
    return list;
}

void SampleTree::expect_restored_at(const fs::path& extracted, bool check_owners) const {
    const fs::path top = root_ / "tree";
    auto copy_of = [&](const fs::path& original) {
        return extracted / original.string().substr(original.string().find_first_not_of('/'));
    };
    for (const std::string& path_text : paths_) {
        const fs::path original(path_text);
        const fs::path copy = copy_of(original);
        SCOPED_TRACE("path " + path_text);
        struct stat a = lstat_or_fail(original);
        if (S_ISSOCK(a.st_mode)) {
            EXPECT_FALSE(fs::exists(fs::symlink_status(copy))) << "sockets are not archived";
            continue;
        }
        struct stat b = lstat_or_fail(copy);
        EXPECT_EQ(a.st_mode, b.st_mode);
        if (!S_ISLNK(a.st_mode)) {
            EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
            EXPECT_EQ(a.st_mtim.tv_nsec, b.st_mtim.tv_nsec);
        }
        if (check_owners) {
            EXPECT_EQ(a.st_uid, b.st_uid);
            EXPECT_EQ(a.st_gid, b.st_gid);
        }
        if (S_ISREG(a.st_mode)) {
            EXPECT_EQ(a.st_size, b.st_size);
            if (a.st_size < (1 << 20)) {
                EXPECT_EQ(read_file(original), read_file(copy));
            }
        }
        if (S_ISLNK(a.st_mode)) {
            EXPECT_EQ(fs::read_symlink(original), fs::read_symlink(copy));
        }
        if (!S_ISLNK(a.st_mode)) {
            EXPECT_EQ(xattr_value(original, "user.comment"), xattr_value(copy, "user.comment"));
            EXPECT_EQ(acl_text(original), acl_text(copy));
        }
    }
    // Spot checks that the comparison above is not vacuous.
    EXPECT_EQ(xattr_value(copy_of(top / "plain.txt"), "user.comment"),
              std::string("a comment \x01 with bytes"));
    EXPECT_NE(acl_text(copy_of(top / "plain.txt")).find("user:65534:r--"), std::string::npos);
    EXPECT_NE(acl_text(copy_of(top / "sub")).find("default:user:65534:r--"), std::string::npos);
    EXPECT_EQ(read_file(copy_of(top / non_utf8_name)), "latin-1 name\n");
    struct stat hard_a = lstat_or_fail(copy_of(top / "hard-a"));
    struct stat hard_b = lstat_or_fail(copy_of(top / "sub" / "hard-b"));
    EXPECT_EQ(hard_a.st_ino, hard_b.st_ino) << "hardlinks restored as one inode";
    EXPECT_EQ(hard_a.st_nlink, 2u);
    struct stat sparse = lstat_or_fail(copy_of(top / "sparse"));
    EXPECT_EQ(sparse.st_size, static_cast<off_t>(sparse_size));
    EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "holes preserved (st_blocks)";
    auto sparse_block = [&](std::streamoff offset) {
        std::ifstream in(copy_of(top / "sparse"), std::ios::binary);
        in.seekg(offset);
        std::string block(4096, '?');
        in.read(block.data(), 4096);
        return block;
    };
    EXPECT_EQ(sparse_block(0), std::string(4096, 'S'));
    EXPECT_EQ(sparse_block(32 << 20), std::string(4096, 'S'));
    EXPECT_EQ(sparse_block(4096), std::string(4096, '\0'));
    EXPECT_EQ(sparse_block(sparse_size - 4096), std::string(4096, '\0'));
    EXPECT_EQ(fs::read_symlink(copy_of(top / "link-absolute")), "/etc/passwd");
}

} // namespace offstage::test
