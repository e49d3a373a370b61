// Writes a pax tar of the paths it is given, in order, into a ByteSink, as offstage's archive
// format says (docs/archive-format.md): owner, group, mode, mtime, symlinks as symlinks,
// hardlinks as links to the first copy, sparse files with their holes, xattrs (SCHILY.xattr)
// and POSIX ACLs (SCHILY.acl). No symlink is ever followed: each path is reached through
// directory descriptors walked down from "/" with O_NOFOLLOW (BeneathRoot), and each entry is
// opened once, O_NOFOLLOW, its metadata, content, link target, ACLs and xattrs all read from
// that descriptor (EntryReader). With reader threads, a pool (ReadAhead) does that reading
// ahead of the writer, and the entries are written in the order given all the same. A path that
// vanishes, changes type, shrinks, grows, changes, cannot be read, or has a symlink on its way, is
// reported as a FileProblem and the archive stays valid: an entry's data always has the size its
// header says (padded with zeros, or cut at the size read at open). Only output errors throw.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/archive/entry_reader.hpp"
#include "stager/archive/read_ahead.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct archive;
struct stat;
struct archive_entry;
struct archive_entry_linkresolver;

namespace offstage::archive {

// One input the archive does not hold as it was: `path` as given (raw bytes), `what` happened.
struct FileProblem {
    std::string path;
    std::string what;
};

struct TarWriterCounts {
    std::uint64_t entries = 0;         // headers written
    std::uint64_t bytes_read = 0;      // file content read from disk
    std::uint64_t sockets_skipped = 0; // sockets cannot be archived; not a problem
};

class TarWriter {
public:
    // Called after a regular file's header is written and before its content is read, with the
    // path as given. Tests use it to change a file at exactly that point.
    using BeforeReadHook = std::function<void(const std::string& path)>;

    // `progress` may be null. The writer owns nothing of `out` but calls out.finish().
    // `reader_threads`: 0 reads each path in add(); more read paths ahead on that many threads
    // (then add() returns before its path is written, and a BeforeReadHook runs on them).
    TarWriter(platform::ByteSink& out, platform::ProgressMeter* progress = nullptr,
              int reader_threads = 0);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    // Archives one path (not recursively: a directory gives its own entry only). The name in
    // the archive is the path without its leading '/'. Throws only for output errors.
    void add(const std::string& path);
    // Writes every path added so far (with reader threads, add() may return before).
    void flush();
    // Writes the end of the archive and calls out.finish().
    void finish();

    // An entry made here rather than read from disk (the run's `system` facts): a regular file
    // `name` (relative, no '..') holding `content`, owned by root, mtime 0 so that the same
    // content always gives the same bytes. Throws only for output errors.
    void add_generated(const std::string& name, std::string_view content, unsigned mode = 0600);

    // Paths given to add() are then read at ROOT/PATH but named PATH in the archive (a scan of a
    // root other than "/", e.g. a test's dpkg root). `root` is an absolute path without a
    // trailing '/'; empty: "/".
    void set_root(std::string root) { root_ = std::move(root); }

    // Leaves access and change times out of every header, so that an unchanged tree gives the
    // same tar stream twice (reading a file moves its atime): the run's reuse of unchanged
    // artifacts depends on it. mtimes stay.
    void set_reproducible(bool reproducible) { reproducible_ = reproducible; }

    // Set these before the first add().
    void set_before_read_hook(BeforeReadHook hook) { before_read_ = std::move(hook); }
    // Complete for every path added so far: both flush() first.
    const std::vector<FileProblem>& problems() {
        flush();
        return problems_;
    }
    const TarWriterCounts& counts() {
        flush();
        return counts_;
    }

private:
    struct Output;
    void write_next();
    void write_prepared(PreparedEntry& prepared);
    // Writes the header, then the content: `prepared`'s for a file read from disk, `generated`
    // for an entry made here.
    void write_entry(archive_entry* entry, const std::string& path, PreparedEntry* prepared,
                     std::string_view generated = {});
    void write_content(archive_entry* entry, PreparedEntry& prepared);
    void write_pieces(PreparedEntry& prepared, std::int64_t size);
    void write_data(const std::byte* data, std::size_t size);
    void write_zeros(std::int64_t count);
    void count_bytes(std::uint64_t bytes);
    [[noreturn]] void fail_output(const std::string& what);
    void report(const std::string& path, std::string what);

    std::unique_ptr<Output> output_;
    ::archive* writer_ = nullptr;
    archive_entry_linkresolver* links_ = nullptr;
    platform::ProgressMeter* progress_;
    int reader_threads_;
    BeforeReadHook before_read_;
    std::unique_ptr<EntryReader> reader_;   // without reader threads
    std::unique_ptr<ReadAhead> read_ahead_; // with: started by the first add()
    std::vector<FileProblem> problems_;
    TarWriterCounts counts_;
    bool finished_ = false;
    bool reproducible_ = false;
    std::string root_;
};

} // namespace offstage::archive
