#include "stager/archive/tar_writer.hpp"

#include "platform/unique_fd.hpp"
#include "stager/archive/scoped_c_utf8_locale.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
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

constexpr std::size_t zero_block = 1 << 20;

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

TarWriter::TarWriter(platform::ByteSink& out, platform::ProgressMeter* progress, int reader_threads)
    : output_(std::make_unique<Output>(Output{out, nullptr, false}))
    , progress_(progress)
    , reader_threads_(reader_threads) {
    // add() has libarchive read ACLs and xattrs through /proc/self/fd: without /proc they would
    // go missing without a word.
    struct statfs proc {};
    if (::statfs("/proc/self/fd", &proc) != 0 || proc.f_type != PROC_SUPER_MAGIC) {
        throw std::runtime_error("tar writer: /proc is not mounted; offstage reads ACLs and "
                                 "extended attributes through /proc/self/fd: mount proc on /proc");
    }
    ScopedCUtf8Locale locale;
    writer_ = archive_write_new();
    links_ = archive_entry_linkresolver_new();
    auto give_up = [this](const std::string& what) {
        std::string detail = writer_ != nullptr && archive_error_string(writer_) != nullptr
                                 ? std::string(": ") + archive_error_string(writer_)
                                 : std::string();
        archive_write_free(writer_);
        archive_entry_linkresolver_free(links_);
        throw std::runtime_error("libarchive: cannot " + what + detail);
    };
    if (writer_ == nullptr || links_ == nullptr) {
        give_up("allocate the tar writer");
    }
    // SCHILY xattr headers only: the default also writes LIBARCHIVE.xattr, storing each twice.
    if (archive_write_set_format_pax(writer_) != ARCHIVE_OK ||
        archive_write_set_format_option(writer_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK ||
        archive_write_add_filter_none(writer_) != ARCHIVE_OK) {
        give_up("set up the pax writer");
    }
    archive_entry_linkresolver_set_strategy(links_, archive_format(writer_));
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
    read_ahead_.reset(); // stops the readers before anything they may point to goes
    archive_entry_linkresolver_free(links_);
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
    if (reader_threads_ <= 0) {
        if (!reader_) {
            reader_ = std::make_unique<EntryReader>(root_, before_read_, ReadAhead::piece_size);
        }
        PreparedEntry prepared = reader_->prepare(path, [](std::size_t) {});
        write_prepared(prepared);
        return;
    }
    if (!read_ahead_) {
        read_ahead_ = std::make_unique<ReadAhead>(ReadAhead::limits_for(reader_threads_), root_,
                                                  before_read_);
    }
    while (read_ahead_->full()) {
        write_next();
    }
    read_ahead_->push(path);
    // Write what is ready, so that the readers' budget comes back without waiting for them.
    while (!read_ahead_->empty() && read_ahead_->next_ready()) {
        write_next();
    }
}

void TarWriter::flush() {
    if (!read_ahead_) {
        return;
    }
    ScopedCUtf8Locale locale;
    while (!read_ahead_->empty()) {
        write_next();
    }
}

void TarWriter::write_next() {
    PreparedEntry prepared = read_ahead_->next();
    const std::size_t budget = prepared.budget;
    try {
        write_prepared(prepared);
    } catch (...) {
        read_ahead_->release(budget);
        throw;
    }
    read_ahead_->release(budget);
}

void TarWriter::add_generated(const std::string& name, std::string_view content, unsigned mode) {
    if (finished_) {
        throw std::logic_error("tar writer: add after finish");
    }
    if (name.empty() || name.front() == '/' || has_dotdot_component(name)) {
        throw std::invalid_argument("tar writer: a generated entry needs a relative name");
    }
    flush();
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
    write_entry(entry.get(), name, nullptr, content);
    if (counts_.entries == entries) {
        throw std::runtime_error("tar writer: the generated entry " + name + " was refused");
    }
}

void TarWriter::write_prepared(PreparedEntry& prepared) {
    for (std::string& problem : prepared.problems) {
        report(prepared.path, std::move(problem));
    }
    if (prepared.socket) {
        ++counts_.sockets_skipped;
        return;
    }
    if (!prepared.entry) {
        return;
    }
    // Hardlinks: the first path of an inode carries the data, later ones become links to it.
    archive_entry* linked = prepared.entry.get();
    archive_entry* spare = nullptr;
    archive_entry_linkify(links_, &linked, &spare);
    if (linked != nullptr) {
        write_entry(linked, prepared.path,
                    archive_entry_hardlink(linked) == nullptr ? &prepared : nullptr);
    }
    if (spare != nullptr) { // not with the tar strategy; handled for completeness
        write_entry(spare, prepared.path, nullptr);
        archive_entry_free(spare);
    }
}

void TarWriter::write_entry(archive_entry* entry, const std::string& path, PreparedEntry* prepared,
                            std::string_view generated) {
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
    if (prepared != nullptr && archive_entry_filetype(entry) == AE_IFREG &&
        archive_entry_size(entry) > 0) {
        write_content(entry, *prepared);
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

void TarWriter::write_zeros(std::int64_t count) {
    static const std::vector<std::byte> zeros(zero_block);
    while (count > 0) {
        auto n = static_cast<std::size_t>(
            std::min<std::int64_t>(count, static_cast<std::int64_t>(zeros.size())));
        write_data(zeros.data(), n);
        count -= static_cast<std::int64_t>(n);
    }
}

void TarWriter::count_bytes(std::uint64_t bytes) {
    counts_.bytes_read += bytes;
    if (progress_ != nullptr) {
        progress_->add_bytes(bytes);
    }
}

void TarWriter::write_content(archive_entry* entry, PreparedEntry& prepared) {
    const std::int64_t size = archive_entry_size(entry);
    if (prepared.ranged()) {
        write_pieces(prepared, size);
    } else if (prepared.content) {
        write_data(prepared.content.get(), static_cast<std::size_t>(size));
        count_bytes(prepared.read_bytes);
    }
    for (std::string& problem : prepared.content_problems) {
        report(prepared.path, std::move(problem));
    }
}

// A large file, read now in pieces by the reader threads (or here, without them), a window of
// pieces ahead of what is written. The first short piece ends the reading: the rest of the
// entry is zeros, as when one thread reads the file from start to end.
void TarWriter::write_pieces(PreparedEntry& prepared, std::int64_t size) {
    const auto pieces = EntryReader::pieces(prepared.regions, size,
                                            static_cast<std::int64_t>(ReadAhead::piece_size));
    std::deque<std::shared_ptr<RangeRead>> reading;
    std::size_t next = 0;
    auto start_next = [&] {
        auto piece = std::make_shared<RangeRead>();
        piece->fd = prepared.fd;
        piece->offset = pieces[next].first;
        piece->length = pieces[next].second;
        piece->data =
            std::make_unique_for_overwrite<std::byte[]>(static_cast<std::size_t>(piece->length));
        ++next;
        if (read_ahead_) {
            read_ahead_->read_piece(piece);
        } else {
            piece->read();
        }
        reading.push_back(std::move(piece));
    };
    const std::size_t window = read_ahead_ ? read_ahead_->window() : 1;
    std::int64_t position = 0;
    while (next < pieces.size() || !reading.empty()) {
        while (next < pieces.size() && reading.size() < window) {
            start_next();
        }
        std::shared_ptr<RangeRead> piece = std::move(reading.front());
        reading.pop_front();
        if (read_ahead_) {
            read_ahead_->wait_piece(*piece);
        }
        write_zeros(piece->offset - position);
        write_data(piece->data.get(), static_cast<std::size_t>(piece->got));
        count_bytes(static_cast<std::uint64_t>(piece->got));
        position = piece->offset + piece->got;
        if (piece->got < piece->length) {
            // Pieces still being read keep the descriptor and their memory until done.
            prepared.content_problems.push_back(
                piece->error != 0
                    ? "read error at offset " + std::to_string(position) + ": " +
                          std::strerror(piece->error) + "; the rest of its entry is zeros"
                    : "shrank from " + std::to_string(size) + " to " + std::to_string(position) +
                          " bytes while read; the rest of its entry is zeros");
            return;
        }
    }
    write_zeros(size - position);
    EntryReader::check_after_read(prepared.fd->get(), prepared.opened, size,
                                  prepared.content_problems);
}

void TarWriter::finish() {
    if (finished_) {
        return;
    }
    flush();
    read_ahead_.reset();
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
        write_entry(entry, archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "",
                    nullptr);
    }
    if (archive_write_close(writer_) != ARCHIVE_OK) {
        fail_output("end of archive");
    }
    finished_ = true;
    output_->sink.finish();
}

} // namespace offstage::archive
