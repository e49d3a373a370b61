#include "stager/archive/archive_extractor.hpp"

#include "platform/fd_stream.hpp"
#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/archive/beneath_path.hpp"
#include "stager/archive/entry_metadata.hpp"
#include "stager/archive/scoped_c_utf8_locale.hpp"
#include "stager/archive/target_directory.hpp"
#include "stager/archive/zstd_decompressor.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <iterator>
#include <memory>
#include <optional>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

// What one read hands libarchive: file data in large pieces; while a header is read, small
// ones, so that the count below overshoots what the header really took by little.
constexpr std::size_t data_read_size = 256 << 10;
constexpr std::size_t header_read_size = 16 << 10;
// Newlines allowed in the bytes read for one header: a GNU sparse map (format 1.0) takes two
// per region, so this bounds the regions libarchive holds before the entry reaches us, whatever
// the digits; plus room for pax records and the bytes of one read beyond the header.
constexpr std::size_t header_line_budget = 2 * ArchiveExtractor::max_sparse_regions + 65536;

std::string shown(std::string_view name) {
    return "'" + platform::printable_name(name) + "'";
}

std::string limits_text() {
    return "at most " + std::to_string(ArchiveExtractor::max_sparse_regions) +
           " sparse regions and " + std::to_string(ArchiveExtractor::max_header_bytes >> 20) +
           " MiB of headers per entry";
}

// The tar stream for libarchive: the plaintext, decompressed here when it starts with a zstd
// frame. libarchive parses a sparse map inside archive_read_next_header and keeps all of it in
// memory, so what is handed over between begin_header() and end_header() is counted, and cut
// off (an error for libarchive, over_limit() for the caller) beyond the header limits.
class TarInput {
public:
    TarInput(platform::ByteSource& plaintext, std::string name)
        : plaintext_(plaintext)
        , name_(std::move(name)) {}

    static la_ssize_t read(::archive* reader, void* self, const void** data) {
        auto* input = static_cast<TarInput*>(self);
        try {
            std::span<std::byte> room(input->buffer_);
            if (input->in_header_) {
                room = room.first(header_read_size);
            }
            const std::size_t n = input->next(room);
            if (input->in_header_) {
                input->header_bytes_ += n;
                input->header_lines_ += static_cast<std::size_t>(std::count(
                    room.begin(), room.begin() + static_cast<std::ptrdiff_t>(n), std::byte{'\n'}));
                if (input->header_bytes_ > ArchiveExtractor::max_header_bytes ||
                    input->header_lines_ > header_line_budget) {
                    input->over_limit_ = true;
                    archive_set_error(reader, EFBIG, "entry header beyond the limits");
                    return -1;
                }
            }
            *data = input->buffer_.data();
            return static_cast<la_ssize_t>(n);
        } catch (...) {
            input->failure_ = std::current_exception();
            archive_set_error(reader, EIO, "input failed");
            return -1;
        }
    }

    void begin_header() {
        in_header_ = true;
        header_bytes_ = 0;
        header_lines_ = 0;
    }
    void end_header() { in_header_ = false; }
    bool over_limit() const { return over_limit_; }
    const std::exception_ptr& failure() const { return failure_; }

    // Reads the plaintext to its end, past the tar end marker: the decrypting source then
    // authenticates its final chunk and the zstd frame its checksum, so that a file cut or
    // changed after the end marker is an error too.
    void drain() {
        while (next(buffer_) > 0) {
        }
    }

private:
    std::size_t next(std::span<std::byte> room) {
        if (!started_) {
            started_ = true;
            head_.resize(4);
            head_.resize(platform::read_fully(plaintext_, head_));
            if (ZstdDecompressor::starts_a_frame(head_)) {
                zstd_ = std::make_unique<ZstdDecompressor>(plaintext_, name_, head_);
                head_.clear();
            }
        }
        if (zstd_) {
            return zstd_->read(room);
        }
        if (head_used_ < head_.size()) {
            const std::size_t n = std::min(room.size(), head_.size() - head_used_);
            std::memcpy(room.data(), head_.data() + head_used_, n);
            head_used_ += n;
            return n;
        }
        return plaintext_.read(room);
    }

    platform::ByteSource& plaintext_;
    std::string name_;
    std::vector<std::byte> buffer_ = std::vector<std::byte>(data_read_size);
    bool started_ = false;
    std::vector<std::byte> head_;
    std::size_t head_used_ = 0;
    std::unique_ptr<ZstdDecompressor> zstd_;
    std::exception_ptr failure_;
    bool in_header_ = false;
    std::size_t header_bytes_ = 0;
    std::size_t header_lines_ = 0;
    bool over_limit_ = false;
};

struct ReaderDeleter {
    void operator()(::archive* a) const { archive_read_free(a); }
};
struct EntryDeleter {
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

// A directory whose metadata waits for the end (its content changes its times, and a mode
// without write permission would stop the content): found again by walking from the target,
// and applied only if it is still the inode extracted.
struct DirectoryFixup {
    BeneathPath path;
    std::string name; // as in the archive, for reports
    dev_t device;
    ino_t inode;
    EntryMetadata metadata;
};

std::string joined(const std::vector<std::string>& failures) {
    std::string text;
    for (const std::string& failure : failures) {
        text += (text.empty() ? "" : "; ") + failure;
    }
    return text;
}

// One run of extract_to: the reader, the target and what is collected on the way.
class Extraction {
public:
    Extraction(const std::string& input_name, TargetDirectory& target, TarInput& input,
               ::archive* reader, bool restore_owners, platform::ProgressMeter* progress,
               std::vector<FileProblem>& problems, ExtractCounts& counts)
        : input_name_(input_name)
        , target_(target)
        , input_(input)
        , reader_(reader)
        , restore_owners_(restore_owners)
        , progress_(progress)
        , problems_(problems)
        , counts_(counts) {}

    // A selection (null: everything) and where deferred hardlinks are collected; or, for the
    // second pass, the deferred hardlinks whose targets alone are restored.
    void choose(EntrySelection* selection, std::vector<DeferredLink>* deferred,
                const std::vector<DeferredLink>* link_targets) {
        selection_ = selection;
        deferred_ = deferred;
        link_targets_ = link_targets;
        if (link_targets_ != nullptr) {
            found_targets_.assign(link_targets_->size(), false);
        }
    }

    void run();

private:
    [[noreturn]] void fail_input(const std::string& what);
    void restore_chosen(archive_entry* entry, const std::string& name, const BeneathPath& path,
                        const std::optional<BeneathPath>& link_source);
    void restore_link_target(archive_entry* entry, const std::optional<BeneathPath>& link_source,
                             const DeferredLink& deferred);
    void report_missing_targets();
    void restore(archive_entry* entry, const std::string& name, const BeneathPath& path,
                 const std::optional<BeneathPath>& link_source);
    void restore_file(archive_entry* entry, const BeneathPath& path, int parent,
                      const EntryMetadata& metadata, std::vector<std::string>& failures);
    void write_content(archive_entry* entry, const BeneathPath& path, int fd);
    void restore_directory(const std::string& name, const BeneathPath& path, int parent,
                           EntryMetadata metadata);
    void restore_hardlink(const BeneathPath& path, int parent, const BeneathPath& source);
    platform::UniqueFd open_created(const BeneathPath& path, int parent, mode_t type);
    template <typename Create>
    void create_making_room(const BeneathPath& path, int parent, const std::string& what,
                            Create create);
    void make_room(const BeneathPath& path, int parent);
    void apply_directory_metadata();

    const std::string& input_name_;
    TargetDirectory& target_;
    TarInput& input_;
    ::archive* reader_;
    bool restore_owners_;
    platform::ProgressMeter* progress_;
    std::vector<FileProblem>& problems_;
    ExtractCounts& counts_;
    OwnerNames names_;
    std::vector<DirectoryFixup> fixups_;
    EntrySelection* selection_ = nullptr;
    std::vector<DeferredLink>* deferred_ = nullptr;
    const std::vector<DeferredLink>* link_targets_ = nullptr;
    std::vector<bool> found_targets_;
};

void Extraction::fail_input(const std::string& what) {
    if (input_.failure()) {
        std::rethrow_exception(input_.failure());
    }
    const char* detail = archive_error_string(reader_);
    throw std::runtime_error(input_name_ + ": " + what + ": " +
                             platform::printable_name(detail ? detail : "unknown error"));
}

void Extraction::run() {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    if (!entry) {
        throw std::runtime_error("libarchive: cannot allocate an entry");
    }
    for (;;) {
        input_.begin_header();
        int status = archive_read_next_header2(reader_, entry.get());
        input_.end_header();
        const char* raw_name = archive_entry_pathname(entry.get());
        const std::string name = raw_name ? raw_name : "";
        if (input_.over_limit()) {
            throw UnsafeEntryError(
                input_name_ + ": entry " +
                (name.empty() ? std::to_string(counts_.entries + 1) : shown(name)) +
                ": its sparse map or headers exceed what offstage extract accepts (" +
                limits_text() + ")");
        }
        if (status == ARCHIVE_EOF) {
            break;
        }
        if (status == ARCHIVE_FATAL || status == ARCHIVE_RETRY) {
            fail_input("reading entry " + std::to_string(counts_.entries + 1));
        }
        if (status == ARCHIVE_WARN) {
            problems_.push_back(
                {name, "warning: " + platform::printable_name(archive_error_string(reader_))});
        }
        std::string why;
        std::optional<BeneathPath> path = BeneathPath::parse(name, why);
        if (!path) {
            throw UnsafeEntryError(input_name_ + ": refusing entry " + shown(name) + ": " + why +
                                   " would escape the target directory");
        }
        std::optional<BeneathPath> link_source;
        if (const char* link = archive_entry_hardlink(entry.get())) {
            link_source = BeneathPath::parse(link, why);
            if (!link_source) {
                throw UnsafeEntryError(input_name_ + ": refusing hardlink " + shown(name) + " to " +
                                       shown(link) + ": " + why +
                                       " would escape the target directory");
            }
        }
        if (static_cast<std::size_t>(archive_entry_sparse_count(entry.get())) >
            ArchiveExtractor::max_sparse_regions) {
            throw UnsafeEntryError(input_name_ + ": entry " + shown(name) +
                                   ": its sparse map exceeds what offstage extract accepts (" +
                                   limits_text() + ")");
        }
        try {
            restore_chosen(entry.get(), name, *path, link_source);
        } catch (const EntryNotExtracted& error) {
            problems_.push_back({name, std::string("not extracted: ") + error.what()});
        } catch (const std::system_error& error) {
            throw std::runtime_error(input_name_ + ": " + error.what() + " (extracting into " +
                                     platform::printable_name(target_.path().string()) + ")");
        }
        // Whatever of the entry's data was not used, read here rather than by the next
        // archive_read_next_header, where it would count against the header limits.
        if (archive_read_data_skip(reader_) != ARCHIVE_OK) {
            fail_input("reading past " + shown(name));
        }
    }
    input_.drain();
    apply_directory_metadata();
    report_missing_targets();
}

// What the selection makes of one entry: restored, skipped, or (a hardlink whose target was
// not selected) deferred to the second pass.
void Extraction::restore_chosen(archive_entry* entry, const std::string& name,
                                const BeneathPath& path,
                                const std::optional<BeneathPath>& link_source) {
    if (link_targets_ != nullptr) {
        for (std::size_t i = 0; i < link_targets_->size(); ++i) {
            if ((*link_targets_)[i].target == path.text()) {
                found_targets_[i] = true;
                restore_link_target(entry, link_source, (*link_targets_)[i]);
                return;
            }
        }
        ++counts_.skipped;
        return;
    }
    if (selection_ != nullptr && !selection_->selects(path)) {
        ++counts_.skipped;
        return;
    }
    if (selection_ != nullptr && link_source && !selection_->covers(*link_source)) {
        const std::string target = link_source->text();
        auto group = std::find_if(deferred_->begin(), deferred_->end(),
                                  [&](const DeferredLink& d) { return d.target == target; });
        if (group == deferred_->end()) {
            deferred_->push_back({target, {}});
            group = std::prev(deferred_->end());
        }
        group->links.push_back(path);
        return; // counted by the second pass
    }
    ++counts_.entries;
    if (progress_ != nullptr) {
        progress_->add_file();
    }
    restore(entry, name, path, link_source);
}

// The second pass: the data of a target nobody selected, under its first link's name; the
// other links to it are linked to that one.
void Extraction::restore_link_target(archive_entry* entry,
                                     const std::optional<BeneathPath>& link_source,
                                     const DeferredLink& deferred) {
    const BeneathPath& first = deferred.links.front();
    if (link_source) {
        throw EntryNotExtracted("the target of the selected hardlink " + shown(first.text()) +
                                " is itself a hardlink");
    }
    ++counts_.entries;
    if (progress_ != nullptr) {
        progress_->add_file();
    }
    // Problems are reported under the link's name: that is what was asked for.
    restore(entry, first.text(), first, std::nullopt);
    for (std::size_t i = 1; i < deferred.links.size(); ++i) {
        const BeneathPath& link = deferred.links[i];
        ++counts_.entries;
        try {
            platform::UniqueFd parent = target_.open_parent(link, true);
            restore_hardlink(link, parent.get(), first);
        } catch (const EntryNotExtracted& error) {
            problems_.push_back({link.text(), std::string("not extracted: ") + error.what()});
        }
    }
}

void Extraction::report_missing_targets() {
    if (link_targets_ == nullptr) {
        return;
    }
    for (std::size_t i = 0; i < link_targets_->size(); ++i) {
        if (found_targets_[i]) {
            continue;
        }
        for (const BeneathPath& link : (*link_targets_)[i].links) {
            problems_.push_back({link.text(), "not extracted: its hardlink target " +
                                                  shown((*link_targets_)[i].target) +
                                                  " is not in the archive"});
        }
    }
}

void Extraction::restore(archive_entry* entry, const std::string& name, const BeneathPath& path,
                         const std::optional<BeneathPath>& link_source) {
    const auto type = archive_entry_filetype(entry);
    if (path.is_target()) {
        if (type == AE_IFDIR && !link_source) {
            return; // the target keeps its own owner, mode and times
        }
        throw EntryNotExtracted("names the target directory itself");
    }
    platform::UniqueFd parent = target_.open_parent(path, true);
    if (link_source) {
        restore_hardlink(path, parent.get(), *link_source);
        return;
    }
    EntryMetadata metadata = read_entry_metadata(entry, restore_owners_, names_);
    std::vector<std::string> failures = metadata.not_restorable;
    switch (type) {
    case AE_IFREG:
        restore_file(entry, path, parent.get(), metadata, failures);
        break;
    case AE_IFDIR:
        restore_directory(name, path, parent.get(), std::move(metadata));
        return;
    case AE_IFLNK: {
        const char* link = archive_entry_symlink(entry);
        if (link == nullptr || *link == '\0') {
            throw EntryNotExtracted("a symlink without a target");
        }
        create_making_room(path, parent.get(), "create the symlink",
                           [&] { return ::symlinkat(link, parent.get(), path.leaf().c_str()); });
        platform::UniqueFd fd = open_created(path, parent.get(), S_IFLNK);
        apply_metadata_by_path_fd(fd.get(), true, metadata, failures);
        break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO: {
        const mode_t kind = type == AE_IFCHR ? S_IFCHR : type == AE_IFBLK ? S_IFBLK : S_IFIFO;
        create_making_room(path, parent.get(), "create the node", [&] {
            return ::mknodat(parent.get(), path.leaf().c_str(), kind | 0600,
                             archive_entry_rdev(entry));
        });
        platform::UniqueFd fd = open_created(path, parent.get(), kind);
        apply_metadata_by_path_fd(fd.get(), false, metadata, failures);
        break;
    }
    default:
        throw EntryNotExtracted("a kind of file offstage does not restore (type " +
                                std::to_string(type) + ")");
    }
    if (!failures.empty()) {
        problems_.push_back({name, "metadata not fully restored: " + joined(failures)});
    }
}

void Extraction::restore_file(archive_entry* entry, const BeneathPath& path, int parent,
                              const EntryMetadata& metadata, std::vector<std::string>& failures) {
    // Always a new inode: O_EXCL never opens what is there, nor follows a symlink there.
    platform::UniqueFd fd;
    create_making_room(path, parent, "create the file", [&] {
        fd.reset(::openat(parent, path.leaf().c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        return fd ? 0 : -1;
    });
    struct stat created {};
    if (::fstat(fd.get(), &created) != 0) {
        platform::throw_errno("stat " + shown(path.text()));
    }
    try {
        write_content(entry, path, fd.get());
        apply_metadata(fd.get(), metadata, failures);
        if (::close(fd.release()) != 0) {
            // Where writes are delayed (NFS), this is where they fail.
            const int error = errno;
            platform::throw_errno(error, "close " + shown(path.text()));
        }
    } catch (...) {
        // Half a file must not pass for the file: remove it, if the name is still ours.
        struct stat now {};
        if (::fstatat(parent, path.leaf().c_str(), &now, AT_SYMLINK_NOFOLLOW) == 0 &&
            now.st_dev == created.st_dev && now.st_ino == created.st_ino) {
            ::unlinkat(parent, path.leaf().c_str(), 0);
        }
        throw;
    }
}

void Extraction::write_content(archive_entry* entry, const BeneathPath& path, int fd) {
    la_int64_t end = 0;
    for (;;) {
        const void* block = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        const int status = archive_read_data_block(reader_, &block, &size, &offset);
        if (status == ARCHIVE_EOF) {
            break;
        }
        if (status < ARCHIVE_WARN) {
            fail_input("reading the data of " + shown(path.text()));
        }
        // Blocks come with their offsets: the gaps between them stay holes.
        const auto* bytes = static_cast<const char*>(block);
        std::size_t written = 0;
        while (written < size) {
            const ssize_t n = ::pwrite(fd, bytes + written, size - written,
                                       static_cast<off_t>(offset) + static_cast<off_t>(written));
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                // A short write is retried for the rest; the retry then reports the error
                // (ENOSPC, EDQUOT, EFBIG...). A write of nothing without one would loop.
                // Any of them stops the extraction: the file is not what was archived.
                const int error = n < 0 ? errno : EIO;
                platform::throw_errno(
                    error, "write " + shown(path.text()) + " at offset " +
                               std::to_string(offset + static_cast<la_int64_t>(written)));
            }
            written += static_cast<std::size_t>(n);
        }
        end = std::max(end, offset + static_cast<la_int64_t>(size));
        counts_.bytes_written += size;
        if (progress_ != nullptr) {
            progress_->add_bytes(size);
        }
    }
    // A hole at the end has no block: the size makes it.
    const la_int64_t size = archive_entry_size(entry);
    if (archive_entry_size_is_set(entry) && size > end &&
        ::ftruncate(fd, static_cast<off_t>(size)) != 0) {
        const int error = errno;
        platform::throw_errno(error, "extend " + shown(path.text()) + " to " +
                                         std::to_string(size) + " bytes");
    }
}

void Extraction::restore_directory(const std::string& name, const BeneathPath& path, int parent,
                                   EntryMetadata metadata) {
    // 0700 until the end: nobody else gets in while the content is written.
    for (int attempt = 0;; ++attempt) {
        if (::mkdirat(parent, path.leaf().c_str(), 0700) == 0) {
            break;
        }
        int error = errno;
        if (error != EEXIST) {
            throw_entry_error(error, "create the directory " + shown(path.text()));
        }
        platform::UniqueFd existing(
            ::openat(parent, path.leaf().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (existing) {
            break; // a directory already there is used as it is
        }
        error = errno;
        if ((error != ELOOP && error != ENOTDIR) || attempt == 2) {
            throw_entry_error(error, "open the directory " + shown(path.text()));
        }
        make_room(path, parent); // a symlink or a file of that name is replaced
    }
    platform::UniqueFd fd(
        ::openat(parent, path.leaf().c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        const int error = errno;
        throw_entry_error(error, "create the directory " + shown(path.text()));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        platform::throw_errno("stat " + shown(path.text()));
    }
    if (!metadata.not_restorable.empty()) {
        problems_.push_back(
            {name, "metadata not fully restored: " + joined(metadata.not_restorable)});
    }
    fixups_.push_back({path, name, st.st_dev, st.st_ino, std::move(metadata)});
}

void Extraction::restore_hardlink(const BeneathPath& path, int parent, const BeneathPath& source) {
    if (source.is_target()) {
        throw EntryNotExtracted("a hardlink to the target directory");
    }
    if (source.components() == path.components()) {
        throw EntryNotExtracted("a hardlink to itself");
    }
    platform::UniqueFd source_parent = target_.open_parent(source, false);
    // Flags 0: a symlink as the source is linked itself, not followed. The link shares the
    // inode, so nothing more is set on it (as tar does); data in a link entry is ignored.
    create_making_room(path, parent, "link to " + shown(source.text()) + " from", [&] {
        return ::linkat(source_parent.get(), source.leaf().c_str(), parent, path.leaf().c_str(), 0);
    });
}

// An O_PATH descriptor of what was just created at `path`, refusing anything else there.
platform::UniqueFd Extraction::open_created(const BeneathPath& path, int parent, mode_t type) {
    platform::UniqueFd fd(::openat(parent, path.leaf().c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0) {
        const int error = errno;
        throw_entry_error(error, "open " + shown(path.text()) + " just created");
    }
    if ((st.st_mode & S_IFMT) != type) {
        throw EntryNotExtracted(shown(path.text()) + " was replaced as it was created");
    }
    return fd;
}

// Runs `create` (a system call returning 0 or -1 with errno) for `path`; when something is
// already there, it is removed and `create` tried again (a few times: a racing user may put
// something back).
template <typename Create>
void Extraction::create_making_room(const BeneathPath& path, int parent, const std::string& what,
                                    Create create) {
    for (int attempt = 0;; ++attempt) {
        if (create() == 0) {
            return;
        }
        const int error = errno;
        if (error != EEXIST || attempt == 2) {
            throw_entry_error(error, what + " " + shown(path.text()));
        }
        make_room(path, parent);
    }
}

void Extraction::make_room(const BeneathPath& path, int parent) {
    const char* leaf = path.leaf().c_str();
    if (::unlinkat(parent, leaf, 0) == 0 || errno == ENOENT) {
        return;
    }
    if (errno != EISDIR && errno != EPERM) {
        const int error = errno;
        throw_entry_error(error, "remove what is at " + shown(path.text()));
    }
    // A directory: replaced only when empty, as tar does.
    if (::unlinkat(parent, leaf, AT_REMOVEDIR) != 0) {
        const int error = errno;
        if (error == ENOTEMPTY || error == EEXIST) {
            throw EntryNotExtracted("a directory that is not empty is in the way at " +
                                    shown(path.text()));
        }
        throw_entry_error(error, "remove the directory at " + shown(path.text()));
    }
    target_.forget_last_walk();
}

void Extraction::apply_directory_metadata() {
    // Deepest first: a parent made read-only must not stop its children, and setting a
    // child's metadata does not change the parent's times.
    std::stable_sort(fixups_.begin(), fixups_.end(),
                     [](const DirectoryFixup& a, const DirectoryFixup& b) {
                         return a.path.components() > b.path.components();
                     });
    for (const DirectoryFixup& fixup : fixups_) {
        std::vector<std::string> failures;
        try {
            platform::UniqueFd fd = target_.open_directory(fixup.path);
            struct stat st {};
            if (::fstat(fd.get(), &st) != 0) {
                platform::throw_errno("stat " + shown(fixup.path.text()));
            }
            if (st.st_dev != fixup.device || st.st_ino != fixup.inode) {
                throw EntryNotExtracted("it was replaced during the extraction");
            }
            apply_metadata(fd.get(), fixup.metadata, failures);
        } catch (const EntryNotExtracted& error) {
            failures.push_back(error.what());
        } catch (const std::system_error& error) {
            throw std::runtime_error(input_name_ + ": " + error.what());
        }
        if (!failures.empty()) {
            problems_.push_back(
                {fixup.name, "directory metadata not fully restored: " + joined(failures)});
        }
    }
}

} // namespace

EntrySelection::EntrySelection(const std::vector<std::string>& paths) {
    for (const std::string& given : paths) {
        // Names in the archive are relative: "/etc/hosts" is asked as etc/hosts.
        std::string_view relative = given;
        while (relative.starts_with('/')) {
            relative.remove_prefix(1);
        }
        std::string why;
        std::optional<BeneathPath> path = relative.empty() && !given.empty()
                                              ? BeneathPath::parse(".", why)
                                              : BeneathPath::parse(relative, why);
        if (!path) {
            throw std::invalid_argument("'" + platform::printable_name(given) +
                                        "' cannot name an entry: " + why);
        }
        paths_.push_back({given, std::move(*path), false});
    }
}

namespace {
bool below(const BeneathPath& entry, const BeneathPath& selected) {
    const auto& want = selected.components();
    const auto& have = entry.components();
    return have.size() >= want.size() && std::equal(want.begin(), want.end(), have.begin());
}
} // namespace

bool EntrySelection::selects(const BeneathPath& entry) {
    bool selected = false;
    for (Path& path : paths_) {
        if (below(entry, path.path)) {
            path.matched = true;
            selected = true;
        }
    }
    return selected;
}

bool EntrySelection::covers(const BeneathPath& entry) const {
    return std::any_of(paths_.begin(), paths_.end(),
                       [&](const Path& path) { return below(entry, path.path); });
}

std::vector<std::string> EntrySelection::unmatched() const {
    std::vector<std::string> names;
    for (const Path& path : paths_) {
        if (!path.matched) {
            names.push_back(path.given);
        }
    }
    return names;
}

ArchiveExtractor::ArchiveExtractor(platform::ByteSource& in, std::string name, bool restore_owners,
                                   platform::ProgressMeter* progress)
    : in_(in)
    , name_(std::move(name))
    , restore_owners_(restore_owners)
    , progress_(progress) {}

void ArchiveExtractor::extract_to(const std::filesystem::path& directory) {
    ScopedCUtf8Locale locale;
    TargetDirectory target = TargetDirectory::open(directory, restore_owners_);
    TarInput input(in_, name_);
    std::unique_ptr<::archive, ReaderDeleter> reader(archive_read_new());
    if (!reader) {
        throw std::runtime_error("libarchive: cannot allocate a reader");
    }
    // Exactly what offstage writes: a tar (pax) stream; zstd is undone by TarInput.
    archive_read_support_format_tar(reader.get());
    Extraction extraction(name_, target, input, reader.get(), restore_owners_, progress_, problems_,
                          counts_);
    if (!link_targets_.empty()) {
        extraction.choose(nullptr, nullptr, &link_targets_);
    } else if (selection_) {
        extraction.choose(&*selection_, &deferred_, nullptr);
    }
    if (archive_read_open(reader.get(), &input, nullptr, &TarInput::read, nullptr) != ARCHIVE_OK) {
        if (input.failure()) {
            std::rethrow_exception(input.failure());
        }
        const char* detail = archive_error_string(reader.get());
        throw std::runtime_error(name_ +
                                 ": not an offstage archive (pax tar, zstd or "
                                 "uncompressed): " +
                                 platform::printable_name(detail ? detail : "unknown error"));
    }
    extraction.run();
}

} // namespace offstage::archive
