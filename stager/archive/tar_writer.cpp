#include "stager/archive/tar_writer.hpp"

#include "platform/unique_fd.hpp"
#include "stager/archive/scoped_c_utf8_locale.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdexcept>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

constexpr std::size_t read_block = 1 << 20;

std::string errno_text(int error) {
    return std::strerror(error);
}

// The name inside the archive: the path without leading slashes, so that an archive of
// "/etc/x" extracts to DIR/etc/x. "/" itself becomes ".".
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

struct EntryDeleter {
    void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

} // namespace

// The libarchive client: forwards blocks to the sink and keeps its exception for the caller.
struct TarWriter::Output {
    platform::ByteSink& sink;
    std::exception_ptr failure;
    bool discard = false; // the archive is abandoned: drop the rest

    static la_ssize_t write(::archive* writer, void* self, const void* data, size_t size) {
        auto* output = static_cast<Output*>(self);
        if (output->discard) {
            return static_cast<la_ssize_t>(size);
        }
        try {
            output->sink.write(
                std::span<const std::byte>(static_cast<const std::byte*>(data), size));
            return static_cast<la_ssize_t>(size);
        } catch (...) {
            output->failure = std::current_exception();
            archive_set_error(writer, EIO, "output failed");
            return -1;
        }
    }
};

TarWriter::TarWriter(platform::ByteSink& out, platform::ProgressMeter* progress)
    : output_(std::make_unique<Output>(Output{out, nullptr, false}))
    , progress_(progress)
    , buffer_(read_block) {
    // add() has libarchive read ACLs and xattrs through /proc/self/fd: without /proc they would
    // go missing without a word.
    struct statfs proc {};
    if (::statfs("/proc/self/fd", &proc) != 0 || proc.f_type != PROC_SUPER_MAGIC) {
        throw std::runtime_error("tar writer: /proc is not mounted; offstage reads ACLs and "
                                 "extended attributes through /proc/self/fd: mount proc on /proc");
    }
    ScopedCUtf8Locale locale;
    writer_ = archive_write_new();
    disk_ = archive_read_disk_new();
    links_ = archive_entry_linkresolver_new();
    auto give_up = [this](const std::string& what) {
        std::string detail = writer_ != nullptr && archive_error_string(writer_) != nullptr
                                 ? std::string(": ") + archive_error_string(writer_)
                                 : std::string();
        archive_write_free(writer_);
        archive_read_free(disk_);
        archive_entry_linkresolver_free(links_);
        throw std::runtime_error("libarchive: cannot " + what + detail);
    };
    if (writer_ == nullptr || disk_ == nullptr || links_ == nullptr) {
        give_up("allocate the tar writer");
    }
    // SCHILY xattr headers only: the default also writes LIBARCHIVE.xattr, storing each twice.
    if (archive_write_set_format_pax(writer_) != ARCHIVE_OK ||
        archive_write_set_format_option(writer_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_add_filter_none(writer_) != ARCHIVE_OK ||
        archive_read_disk_set_standard_lookup(disk_) != ARCHIVE_OK) {
        give_up("set up the pax writer");
    }
    archive_entry_linkresolver_set_strategy(links_, archive_format(writer_));
    // Logical: libarchive's by-name reads use getxattr(2) and listxattr(2), which take the
    // /proc/self/fd/N names that add() gives it to the inode opened, even a symlink's (the
    // l-variants would read the /proc link instead). Nothing is looked up by a real path.
    archive_read_disk_set_symlink_logical(disk_);
    // No 10 KiB blocking: libarchive then hands file data on in the pieces we read (1 MiB),
    // straight from our buffer, instead of copying it into one callback per block. The
    // archive ends right after its two zero records, unpadded, which every tar reader accepts.
    if (archive_write_set_bytes_per_block(writer_, 0) != ARCHIVE_OK) {
        give_up("turn off blocking in the pax writer");
    }
    if (archive_write_open2(writer_, output_.get(), nullptr, &Output::write, nullptr, nullptr) !=
        ARCHIVE_OK) {
        give_up("open the pax writer");
    }
}

TarWriter::~TarWriter() {
    archive_entry_linkresolver_free(links_);
    archive_read_free(disk_);
    if (!finished_) {
        // Abandoned (an exception): nothing more may reach the output. archive_write_free()
        // alone would skip the close of a failed archive, and with it the free of libarchive's
        // output buffer (its client filter frees that only on close). So: fail (no padding of a
        // half-written entry), then close into a callback that drops what it is given.
        output_->discard = true;
        archive_write_fail(writer_);
        archive_write_close(writer_);
    }
    archive_write_free(writer_);
}

void TarWriter::fail_output(const std::string& what) {
    if (output_->failure) {
        std::exception_ptr failure = output_->failure;
        output_->failure = nullptr;
        std::rethrow_exception(failure);
    }
    const char* detail = archive_error_string(writer_);
    throw std::runtime_error("tar writer: " + what + ": " + (detail ? detail : "unknown error"));
}

void TarWriter::report(const std::string& path, std::string what) {
    problems_.push_back(FileProblem{path, std::move(what)});
}

void TarWriter::add(const std::string& path) {
    if (finished_) {
        throw std::logic_error("tar writer: add after finish");
    }
    ScopedCUtf8Locale locale;
    add_entry(path);
}

void TarWriter::add_generated(const std::string& name, std::string_view content, unsigned mode) {
    if (finished_) {
        throw std::logic_error("tar writer: add after finish");
    }
    if (name.empty() || name.front() == '/' || has_dotdot_component(name)) {
        throw std::invalid_argument("tar writer: a generated entry needs a relative name");
    }
    ScopedCUtf8Locale locale;
    EntryPtr entry(archive_entry_new2(writer_));
    if (!entry) {
        throw std::runtime_error("libarchive: out of memory for an entry");
    }
    archive_entry_copy_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), mode & 07777);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    archive_entry_set_uname(entry.get(), "root");
    archive_entry_set_gname(entry.get(), "root");
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(content.size()));
    std::uint64_t entries = counts_.entries;
    write_entry(entry.get(), name, -1, nullptr, content);
    if (counts_.entries == entries) {
        throw std::runtime_error("tar writer: the generated entry " + name + " was refused");
    }
}

void TarWriter::add_entry(const std::string& path) {
    if (path.empty()) {
        return;
    }
    std::string name = entry_name(path);
    if (has_dotdot_component(name)) {
        report(path, "not archived: the path has a '..' component");
        return;
    }
    BeneathRoot::Location where = beneath_root_.locate(root_.empty() ? path : root_ + path);
    if (!where.problem.empty()) {
        report(path, std::move(where.problem));
        return;
    }
    struct stat listed {};
    if (::fstatat(where.directory, where.name, &listed, AT_SYMLINK_NOFOLLOW) != 0) {
        int error = errno;
        report(path, error == ENOENT ? "vanished before it was read"
                                     : "not archived: lstat: " + errno_text(error));
        return;
    }
    if (S_ISSOCK(listed.st_mode)) {
        // A socket is a rendezvous point of a running program, not data: tar cannot hold it.
        ++counts_.sockets_skipped;
        return;
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
            report(path, "vanished before it was read");
        } else if (error == ELOOP || error == ENOTDIR) {
            report(path, "not archived: it changed type (became a symlink) before it was read");
        } else {
            report(path, "unreadable: open: " + errno_text(error));
        }
        return;
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        report(path, "unreadable: fstat: " + errno_text(errno));
        return;
    }
    if ((st.st_mode & S_IFMT) != (listed.st_mode & S_IFMT)) {
        report(path, "not archived: it changed type before it was read");
        return;
    }

    EntryPtr entry(archive_entry_new2(writer_));
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
            report(path, "not archived: readlink: " + errno_text(errno));
            return;
        }
        archive_entry_copy_symlink(entry.get(), target.c_str());
    }
    if (S_ISREG(st.st_mode) && status != ARCHIVE_FAILED && status != ARCHIVE_FATAL) {
        map_holes(entry.get(), fd.get(), st);
    }
    if (status == ARCHIVE_WARN) {
        report(path, std::string("metadata incomplete: ") + archive_error_string(disk_));
    } else if (status != ARCHIVE_OK) {
        report(path, std::string("not archived: ") + archive_error_string(disk_));
        return;
    }
    // Hardlinks: the first path of an inode carries the data, later ones become links to it.
    archive_entry* linked = entry.get();
    archive_entry* spare = nullptr;
    archive_entry_linkify(links_, &linked, &spare);
    if (linked != nullptr) {
        write_entry(linked, path, archive_entry_hardlink(linked) == nullptr ? fd.get() : -1, &st);
    }
    if (spare != nullptr) { // not with the tar strategy; handled for completeness
        write_entry(spare, path, -1, nullptr);
        archive_entry_free(spare);
    }
}

void TarWriter::map_holes(archive_entry* entry, int fd, const struct stat& st) {
    // A file with as many blocks as its size has no hole: skip the lseeks (libarchive's own
    // detection, switched off in the constructor, would probe every file).
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

void TarWriter::write_entry(archive_entry* entry, const std::string& path, int fd,
                            const struct stat* opened, std::string_view generated) {
    if (reproducible_) {
        archive_entry_unset_atime(entry);
        archive_entry_unset_ctime(entry);
        archive_entry_unset_birthtime(entry);
    }
    int status = archive_write_header(writer_, entry);
    if (status == ARCHIVE_FATAL) {
        fail_output("header of " + path);
    }
    if (status == ARCHIVE_FAILED) {
        report(path, std::string("not archived: ") + archive_error_string(writer_));
        return;
    }
    if (status == ARCHIVE_WARN) {
        // "Can't translate pathname ... to UTF-8" is the pax writer's fallback working as
        // intended: the name is stored verbatim under hdrcharset=BINARY. Anything else counts.
        std::string warning = archive_error_string(writer_) ? archive_error_string(writer_) : "";
        if (warning.rfind("Can't translate ", 0) != 0) {
            report(path, "archived with a warning: " + warning);
        }
    }
    ++counts_.entries;
    if (progress_ != nullptr) {
        progress_->add_file();
    }
    if (fd >= 0 && opened != nullptr && archive_entry_filetype(entry) == AE_IFREG &&
        archive_entry_size(entry) > 0) {
        copy_content(entry, path, fd, *opened);
    }
    if (!generated.empty()) {
        write_data(reinterpret_cast<const std::byte*>(generated.data()), generated.size());
    }
    // Pads the entry with zeros up to the size in its header when the file gave less.
    if (archive_write_finish_entry(writer_) == ARCHIVE_FATAL) {
        fail_output("end of entry " + path);
    }
}

void TarWriter::write_data(const std::byte* data, std::size_t size) {
    while (size > 0) {
        la_ssize_t written = archive_write_data(writer_, data, size);
        if (written < 0) {
            fail_output("data");
        }
        if (written == 0) {
            return; // the entry is full: libarchive takes no more than its header says
        }
        data += written;
        size -= static_cast<std::size_t>(written);
    }
}

void TarWriter::copy_content(archive_entry* entry, const std::string& path, int fd,
                             const struct stat& before) {
    const std::int64_t size = archive_entry_size(entry);

    // The data regions, as libarchive found them (holes are not read: zeros stand for them
    // and the pax writer drops them again, writing only the sparse map).
    std::vector<std::pair<std::int64_t, std::int64_t>> regions;
    for (int count = archive_entry_sparse_reset(entry); count > 0; --count) {
        la_int64_t offset = 0;
        la_int64_t length = 0;
        archive_entry_sparse_next(entry, &offset, &length);
        regions.emplace_back(offset, length);
    }
    // The pax writer puts a sparse entry's map in front of its first data, so only a dense
    // entry's data reaches the sink as we pass it: only then may we read into the sink's memory.
    const bool read_in_place = regions.empty();
    if (regions.empty()) {
        regions.emplace_back(0, size);
    }
    if (before_read_) {
        before_read_(path);
    }

    static const std::vector<std::byte> zeros(read_block);
    std::int64_t position = 0;
    auto write_zeros = [&](std::int64_t until) {
        while (position < until) {
            auto n = static_cast<std::size_t>(
                std::min<std::int64_t>(until - position, static_cast<std::int64_t>(zeros.size())));
            write_data(zeros.data(), n);
            position += static_cast<std::int64_t>(n);
        }
    };
    for (const auto& [offset, length] : regions) {
        write_zeros(offset);
        const std::int64_t end = std::min(offset + length, size);
        while (position < end) {
            auto want = static_cast<std::size_t>(
                std::min<std::int64_t>(end - position, static_cast<std::int64_t>(buffer_.size())));
            // Straight into the sink's memory when it offers some (libarchive passes a dense
            // entry's data through unchanged): one copy fewer than reading into our buffer.
            std::byte* target = buffer_.data();
            bool reserved = false;
            if (read_in_place) {
                if (std::span<std::byte> space = output_->sink.reserve(want); !space.empty()) {
                    target = space.data();
                    want = space.size();
                    reserved = true;
                }
            }
            ssize_t got = ::pread(fd, target, want, position);
            const int error = got < 0 ? errno : 0;
            if (got <= 0 && reserved) {
                output_->sink.write({}); // nothing read: the reserved space goes back unused
            }
            if (error == EINTR) {
                continue;
            }
            if (got < 0) {
                report(path, "read error at offset " + std::to_string(position) + ": " +
                                 errno_text(error) + "; the rest of its entry is zeros");
                return;
            }
            if (got == 0) {
                report(path, "shrank from " + std::to_string(size) + " to " +
                                 std::to_string(position) +
                                 " bytes while read; the rest of its entry is zeros");
                return;
            }
            write_data(target, static_cast<std::size_t>(got));
            position += got;
            counts_.bytes_read += static_cast<std::uint64_t>(got);
            if (progress_ != nullptr) {
                progress_->add_bytes(static_cast<std::uint64_t>(got));
            }
        }
    }
    write_zeros(size);

    struct stat after {};
    if (::fstat(fd, &after) != 0) {
        report(path, "archived, but whether it changed while read is unknown: fstat: " +
                         errno_text(errno));
        return;
    }
    if (after.st_size > size) {
        report(path, "grew beyond " + std::to_string(size) + " bytes while read; its first " +
                         std::to_string(size) + " bytes are archived");
    } else if (after.st_nlink == 0) {
        report(path, "was deleted while read; archived as read");
    } else if (after.st_size != before.st_size || !same_time(after.st_mtim, before.st_mtim)) {
        report(path, "changed while read; the archived content may mix old and new data");
    }
}

void TarWriter::finish() {
    if (finished_) {
        return;
    }
    ScopedCUtf8Locale locale;
    // The tar strategy defers nothing, but drain the resolver as its contract asks.
    archive_entry* entry = nullptr;
    archive_entry* spare = nullptr;
    for (;;) {
        entry = nullptr;
        archive_entry_linkify(links_, &entry, &spare);
        if (entry == nullptr) {
            break;
        }
        write_entry(entry, archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "", -1,
                    nullptr);
    }
    if (archive_write_close(writer_) != ARCHIVE_OK) {
        fail_output("end of archive");
    }
    finished_ = true;
    output_->sink.finish();
}

} // namespace offstage::archive
