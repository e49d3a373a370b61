// Reads one path of an archive from disk, up to the point where the tar writer takes over:
// reaches it through a BeneathRoot (no symlink followed), opens it once O_NOFOLLOW, and reads
// its metadata, link target, ACLs, xattrs, sparse map and (for a file up to `whole_limit`) its
// whole content with the checks for change while read, all from that descriptor
// (docs/archive-format.md). A larger file keeps its descriptor for RangeRead pieces. Each
// reader thread of the archive (ReadAhead) owns one EntryReader; TarWriter without threads too.
// Nothing here writes the archive: what happened to the path is recorded in the PreparedEntry,
// which the tar writer reports in tar order.
#pragma once

#include "platform/unique_fd.hpp"
#include "stager/archive/beneath_root.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <utility>
#include <vector>

struct archive;
struct archive_entry;

namespace offstage::archive {

struct ArchiveEntryFree {
    void operator()(archive_entry* entry) const;
};
using ArchiveEntryPtr = std::unique_ptr<archive_entry, ArchiveEntryFree>;

// A piece [offset, offset + length) of a large file, read by any reader thread.
struct RangeRead {
    std::shared_ptr<platform::UniqueFd> fd;
    std::int64_t offset = 0;
    std::int64_t length = 0;
    std::unique_ptr<std::byte[]> data;
    std::int64_t got = 0; // bytes read from offset on; less than length: see error
    int error = 0;        // the errno of a failed pread; 0 with got < length: the file shrank
    bool done = false;    // set by the pool under its lock

    // pread()s the piece (EINTR retried).
    void read();
};

// One path as read from disk, handed over to the tar writer.
struct PreparedEntry {
    std::string path;                  // as given
    ArchiveEntryPtr entry;             // null: nothing to archive (see problems, socket)
    bool socket = false;               // a socket, skipped without a problem
    struct stat opened {};             // fstat of the descriptor
    std::vector<std::string> problems; // reported whether or not the entry is written
    // Regular files with data: the problems of reading it, reported only when the entry
    // carries the data (not when it became a hardlink or its header was refused).
    std::vector<std::string> content_problems;
    // A file up to the whole limit: all `size` bytes (zeros where holes are, and after a
    // short read); read_bytes of them came from the file.
    std::unique_ptr<std::byte[]> content;
    std::uint64_t read_bytes = 0;
    // A larger file: read later in ranges from `fd`, over its data regions.
    std::shared_ptr<platform::UniqueFd> fd;
    std::vector<std::pair<std::int64_t, std::int64_t>> regions;
    std::size_t budget = 0; // read-ahead bytes this entry holds until written

    bool ranged() const { return fd != nullptr; }
};

class EntryReader {
public:
    using BeforeReadHook = std::function<void(const std::string& path)>;
    // Called with the content size before a whole file is read: the pool waits there until
    // its read-ahead budget has room.
    using Reserve = std::function<void(std::size_t bytes)>;

    // `root` as TarWriter::set_root(); throws std::runtime_error when libarchive cannot start.
    EntryReader(std::string root, BeforeReadHook hook, std::size_t whole_limit);
    ~EntryReader();
    EntryReader(const EntryReader&) = delete;
    EntryReader& operator=(const EntryReader&) = delete;

    PreparedEntry prepare(const std::string& path, const Reserve& reserve);

    // Splits the data regions of a large file into pieces of at most `piece` bytes.
    static std::vector<std::pair<std::int64_t, std::int64_t>>
    pieces(const std::vector<std::pair<std::int64_t, std::int64_t>>& regions, std::int64_t size,
           std::int64_t piece);

    // Reports how a file read to its end changed meanwhile (fstat `fd` after the read), or
    // nothing: "grew", "deleted", "changed". Shared by whole files and ranged ones.
    static void check_after_read(int fd, const struct stat& before, std::int64_t size,
                                 std::vector<std::string>& problems);

private:
    void map_holes(archive_entry* entry, int fd, const struct stat& st);
    void read_whole(PreparedEntry& prepared, std::int64_t size);

    std::string root_;
    BeforeReadHook before_read_;
    std::size_t whole_limit_;
    BeneathRoot beneath_root_;
    ::archive* disk_ = nullptr;
};

// The name inside the archive: the path without leading slashes ("/" itself is ".").
std::string entry_name(const std::string& path);
bool has_dotdot_component(const std::string& name);

} // namespace offstage::archive
