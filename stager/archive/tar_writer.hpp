// Writes a pax tar of the paths it is given, in order, into a ByteSink, as offstage's archive
// format says (docs/archive-format.md): owner, group, mode, mtime, symlinks as symlinks,
// hardlinks as links to the first copy, sparse files with their holes, xattrs (SCHILY.xattr)
// and POSIX ACLs (SCHILY.acl). No symlink is ever followed: each path is reached through
// directory descriptors walked down from "/" with O_NOFOLLOW (BeneathRoot), and each entry is
// opened once, O_NOFOLLOW, its metadata, content, link target, ACLs and xattrs all read from
// that descriptor. A path that vanishes, changes type, shrinks, grows, changes, cannot be read,
// or has a symlink on its way, is reported as a FileProblem and the archive stays valid: an
// entry's data always has the size its header says (padded with zeros, or cut at the size read
// at open). Only output errors throw.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/archive/beneath_root.hpp"

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
    TarWriter(platform::ByteSink& out, platform::ProgressMeter* progress = nullptr);
    ~TarWriter();
    TarWriter(const TarWriter&) = delete;
    TarWriter& operator=(const TarWriter&) = delete;

    // Archives one path (not recursively: a directory gives its own entry only). The name in
    // the archive is the path without its leading '/'. Throws only for output errors.
    void add(const std::string& path);
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

    void set_before_read_hook(BeforeReadHook hook) { before_read_ = std::move(hook); }
    const std::vector<FileProblem>& problems() const { return problems_; }
    const TarWriterCounts& counts() const { return counts_; }

private:
    struct Output;
    void add_entry(const std::string& path);
    void map_holes(archive_entry* entry, int fd, const struct stat& st);
    // Writes the header, then the content: from `fd` for a file read from disk, `generated`
    // for an entry made here.
    void write_entry(archive_entry* entry, const std::string& path, int fd,
                     const struct stat* opened, std::string_view generated = {});
    void copy_content(archive_entry* entry, const std::string& path, int fd,
                      const struct stat& before);
    void write_data(const std::byte* data, std::size_t size);
    [[noreturn]] void fail_output(const std::string& what);
    void report(const std::string& path, std::string what);

    std::unique_ptr<Output> output_;
    ::archive* writer_ = nullptr;
    ::archive* disk_ = nullptr;
    archive_entry_linkresolver* links_ = nullptr;
    BeneathRoot beneath_root_;
    platform::ProgressMeter* progress_;
    BeforeReadHook before_read_;
    std::vector<FileProblem> problems_;
    TarWriterCounts counts_;
    std::vector<std::byte> buffer_;
    bool finished_ = false;
    bool reproducible_ = false;
    std::string root_;
};

} // namespace offstage::archive
