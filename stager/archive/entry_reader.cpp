#include "stager/archive/entry_reader.hpp"

#include "stager/archive/scoped_c_utf8_locale.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <stdexcept>
#include <sys/xattr.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

std::string errno_text(int error) {
    return std::strerror(error);
}

// The target of the symlink open (O_PATH) as `fd`: readlinkat with an empty name reads the
// link itself. Its size in `st` is a hint (0 on some file systems), not a promise.
bool read_link(int fd, const struct stat& st, std::string& target) {
    target.resize(static_cast<std::size_t>(std::max<off_t>(st.st_size, 255)) + 1);
    for (;;) {
        ssize_t got = ::readlinkat(fd, "", target.data(), target.size());
        if (got < 0) {
            return false;
        }
        if (static_cast<std::size_t>(got) < target.size()) {
            target.resize(static_cast<std::size_t>(got));
            return true;
        }
        target.resize(target.size() * 2); // it may have grown since the fstat
    }
}

bool same_time(const timespec& a, const timespec& b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

std::string read_error(std::int64_t position, int error) {
    return "read error at offset " + std::to_string(position) + ": " + errno_text(error) +
           "; the rest of its entry is zeros";
}

} // namespace

std::string entry_name(const std::string& path) {
    std::size_t start = path.find_first_not_of('/');
    return start == std::string::npos ? std::string(".") : path.substr(start);
}

bool has_dotdot_component(const std::string& name) {
    std::size_t start = 0;
    while (start <= name.size()) {
        std::size_t end = name.find('/', start);
        if (end == std::string::npos) {
            end = name.size();
        }
        if (name.compare(start, end - start, "..") == 0) {
            return true;
        }
        start = end + 1;
    }
    return false;
}

void ArchiveEntryFree::operator()(archive_entry* entry) const {
    archive_entry_free(entry);
}

void RangeRead::read() {
    while (got < length) {
        ssize_t n = ::pread(fd->get(), data.get() + got, static_cast<std::size_t>(length - got),
                            offset + got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error = errno;
            return;
        }
        if (n == 0) {
            return; // shrank
        }
        got += n;
    }
}

EntryReader::EntryReader(std::string root, BeforeReadHook hook, std::size_t whole_limit)
    : root_(std::move(root))
    , before_read_(std::move(hook))
    , whole_limit_(whole_limit)
    , disk_(archive_read_disk_new()) {
    if (disk_ == nullptr || archive_read_disk_set_standard_lookup(disk_) != ARCHIVE_OK) {
        archive_read_free(disk_);
        throw std::runtime_error("libarchive: cannot set up reading from disk");
    }
    // Logical: libarchive's by-name reads use getxattr(2) and listxattr(2), which take the
    // /proc/self/fd/N names that prepare() gives it to the inode opened, even a symlink's (the
    // l-variants would read the /proc link instead). Nothing is looked up by a real path.
    archive_read_disk_set_symlink_logical(disk_);
}

EntryReader::~EntryReader() {
    archive_read_free(disk_);
}

PreparedEntry EntryReader::prepare(const std::string& path, const Reserve& reserve) {
    PreparedEntry prepared;
    prepared.path = path;
    if (path.empty()) {
        return prepared;
    }
    auto problem = [&](std::string what) {
        prepared.problems.push_back(std::move(what));
        return std::move(prepared);
    };
    std::string name = entry_name(path);
    if (has_dotdot_component(name)) {
        return problem("not archived: the path has a '..' component");
    }
    BeneathRoot::Location where = beneath_root_.locate(root_.empty() ? path : root_ + path);
    if (!where.problem.empty()) {
        return problem(std::move(where.problem));
    }
    struct stat listed {};
    if (::fstatat(where.directory, where.name, &listed, AT_SYMLINK_NOFOLLOW) != 0) {
        int error = errno;
        return problem(error == ENOENT ? "vanished before it was read"
                                       : "not archived: lstat: " + errno_text(error));
    }
    if (S_ISSOCK(listed.st_mode)) {
        // A socket is a rendezvous point of a running program, not data: tar cannot hold it.
        prepared.socket = true;
        return prepared;
    }
    // Everything the entry holds comes from this descriptor: the file itself, never a name.
    // O_NOFOLLOW: a path swapped for a symlink since the listing is never followed.
    // O_NONBLOCK: a path swapped for a FIFO never blocks the run. Anything but a regular file or
    // a directory is opened O_PATH, which reaches the inode without opening it: a device's
    // driver never sees an open from us.
    const bool readable = S_ISREG(listed.st_mode) || S_ISDIR(listed.st_mode);
    int flags = O_NOFOLLOW | O_CLOEXEC;
    if (readable) {
        flags |= O_RDONLY | O_NONBLOCK | O_NOCTTY | (S_ISDIR(listed.st_mode) ? O_DIRECTORY : 0);
    } else {
        flags |= O_PATH;
    }
    platform::UniqueFd fd(::openat(where.directory, where.name, flags));
    if (!fd) {
        int error = errno;
        if (error == ENOENT) {
            return problem("vanished before it was read");
        }
        if (error == ELOOP || error == ENOTDIR) {
            return problem("not archived: it changed type (became a symlink) before it was read");
        }
        return problem("unreadable: open: " + errno_text(error));
    }
    struct stat& st = prepared.opened;
    if (::fstat(fd.get(), &st) != 0) {
        return problem("unreadable: fstat: " + errno_text(errno));
    }
    if ((st.st_mode & S_IFMT) != (listed.st_mode & S_IFMT)) {
        return problem("not archived: it changed type before it was read");
    }

    ArchiveEntryPtr entry(archive_entry_new());
    if (!entry) {
        throw std::runtime_error("libarchive: out of memory for an entry");
    }
    archive_entry_copy_pathname(entry.get(), name.c_str());
    // What libarchive reads by name (a directory's default ACL; the ACLs and xattrs of what has
    // no readable descriptor), it reads through /proc/self/fd/N: that name is the very inode we
    // opened, wherever it has moved, and (in logical mode, see the constructor) a symlink's own.
    char by_fd[32];
    std::snprintf(by_fd, sizeof by_fd, "/proc/self/fd/%d", fd.get());
    archive_entry_copy_sourcepath(entry.get(), by_fd);
    // Most files have no extended attribute, and then no ACL either (Linux keeps ACLs in
    // system.posix_acl_* attributes, which the list shows): one listxattr that says so spares
    // libarchive its three probes for them. Symlinks have no ACLs on Linux.
    int behavior = ARCHIVE_READDISK_NO_SPARSE;
    if ((readable ? ::flistxattr(fd.get(), nullptr, 0) : ::listxattr(by_fd, nullptr, 0)) == 0) {
        behavior |= ARCHIVE_READDISK_NO_XATTR | ARCHIVE_READDISK_NO_ACL;
    }
    if (S_ISLNK(st.st_mode)) {
        behavior |= ARCHIVE_READDISK_NO_ACL;
    }
    archive_read_disk_set_behavior(disk_, behavior);
    int status =
        archive_read_disk_entry_from_file(disk_, entry.get(), readable ? fd.get() : -1, &st);
    if (S_ISLNK(st.st_mode) && status != ARCHIVE_FAILED && status != ARCHIVE_FATAL) {
        // libarchive read the link by name, and /proc/self/fd/N names the descriptor's path,
        // not the link's target: the target comes from the descriptor itself.
        std::string target;
        if (!read_link(fd.get(), st, target)) {
            return problem("not archived: readlink: " + errno_text(errno));
        }
        archive_entry_copy_symlink(entry.get(), target.c_str());
    }
    if (S_ISREG(st.st_mode) && status != ARCHIVE_FAILED && status != ARCHIVE_FATAL) {
        map_holes(entry.get(), fd.get(), st);
    }
    if (status == ARCHIVE_WARN) {
        prepared.problems.push_back(std::string("metadata incomplete: ") +
                                    archive_error_string(disk_));
    } else if (status != ARCHIVE_OK) {
        return problem(std::string("not archived: ") + archive_error_string(disk_));
    }
    prepared.entry = std::move(entry);
    const std::int64_t size = archive_entry_size(prepared.entry.get());
    if (!S_ISREG(st.st_mode) || size <= 0) {
        return prepared;
    }

    // The data regions, as map_holes found them (holes are not read: zeros stand for them and
    // the pax writer drops them again, writing only the sparse map).
    for (int count = archive_entry_sparse_reset(prepared.entry.get()); count > 0; --count) {
        la_int64_t offset = 0;
        la_int64_t length = 0;
        archive_entry_sparse_next(prepared.entry.get(), &offset, &length);
        prepared.regions.emplace_back(offset, length);
    }
    if (prepared.regions.empty()) {
        prepared.regions.emplace_back(0, size);
    }
    if (before_read_) {
        before_read_(path);
    }
    if (static_cast<std::uint64_t>(size) > whole_limit_) {
        prepared.fd = std::make_shared<platform::UniqueFd>(std::move(fd));
        return prepared;
    }
    reserve(static_cast<std::size_t>(size));
    prepared.budget = static_cast<std::size_t>(size);
    prepared.fd = std::make_shared<platform::UniqueFd>(std::move(fd));
    read_whole(prepared, size);
    prepared.fd.reset();
    return prepared;
}

void EntryReader::read_whole(PreparedEntry& prepared, std::int64_t size) {
    prepared.content = std::make_unique_for_overwrite<std::byte[]>(static_cast<std::size_t>(size));
    std::byte* content = prepared.content.get();
    std::int64_t position = 0;
    auto zeros_until = [&](std::int64_t until) {
        std::memset(content + position, 0, static_cast<std::size_t>(until - position));
        position = until;
    };
    for (const auto& [offset, length] : prepared.regions) {
        zeros_until(std::max(position, std::min(offset, size)));
        const std::int64_t end = std::min(offset + length, size);
        while (position < end) {
            ssize_t got = ::pread(prepared.fd->get(), content + position,
                                  static_cast<std::size_t>(end - position), position);
            if (got < 0 && errno == EINTR) {
                continue;
            }
            if (got <= 0) {
                prepared.content_problems.push_back(
                    got < 0 ? read_error(position, errno)
                            : "shrank from " + std::to_string(size) + " to " +
                                  std::to_string(position) +
                                  " bytes while read; the rest of its entry is zeros");
                zeros_until(size);
                return;
            }
            position += got;
            prepared.read_bytes += static_cast<std::uint64_t>(got);
        }
    }
    zeros_until(size);
    check_after_read(prepared.fd->get(), prepared.opened, size, prepared.content_problems);
}

void EntryReader::check_after_read(int fd, const struct stat& before, std::int64_t size,
                                   std::vector<std::string>& problems) {
    struct stat after {};
    if (::fstat(fd, &after) != 0) {
        problems.push_back("archived, but whether it changed while read is unknown: fstat: " +
                           errno_text(errno));
        return;
    }
    if (after.st_size > size) {
        problems.push_back("grew beyond " + std::to_string(size) + " bytes while read; its first " +
                           std::to_string(size) + " bytes are archived");
    } else if (after.st_nlink == 0) {
        problems.push_back("was deleted while read; archived as read");
    } else if (after.st_size != before.st_size || !same_time(after.st_mtim, before.st_mtim)) {
        problems.push_back("changed while read; the archived content may mix old and new data");
    }
}

std::vector<std::pair<std::int64_t, std::int64_t>>
EntryReader::pieces(const std::vector<std::pair<std::int64_t, std::int64_t>>& regions,
                    std::int64_t size, std::int64_t piece) {
    std::vector<std::pair<std::int64_t, std::int64_t>> result;
    for (const auto& [offset, length] : regions) {
        const std::int64_t end = std::min(offset + length, size);
        for (std::int64_t at = offset; at < end; at += piece) {
            result.emplace_back(at, std::min(piece, end - at));
        }
    }
    return result;
}

void EntryReader::map_holes(archive_entry* entry, int fd, const struct stat& st) {
    // A file with as many blocks as its size has no hole: skip the lseeks (libarchive's own
    // detection, switched off in prepare(), would probe every file).
    if (st.st_size == 0 || static_cast<std::int64_t>(st.st_blocks) * 512 >= st.st_size) {
        return;
    }
    off_t data = 0;
    bool any_data = false;
    while (data < st.st_size) {
        data = ::lseek(fd, data, SEEK_DATA);
        if (data < 0) {
            if (errno != ENXIO) { // no SEEK_DATA here: store the file whole
                archive_entry_sparse_clear(entry);
                return;
            }
            break; // only a hole remains
        }
        off_t hole = ::lseek(fd, data, SEEK_HOLE);
        if (hole < 0 || hole > st.st_size) {
            hole = st.st_size;
        }
        archive_entry_sparse_add_entry(entry, data, hole - data);
        any_data = true;
        data = hole;
    }
    if (!any_data) {
        // All hole: an empty map still marks the entry as sparse (as libarchive does).
        archive_entry_sparse_add_entry(entry, st.st_size, 0);
    }
}

} // namespace offstage::archive
