// Extracts an offstage archive (pax tar, zstd-compressed or not) from a ByteSource into a
// directory: owners (when root), modes, times, xattrs, ACLs, hardlinks, symlinks, device nodes,
// FIFOs and sparse files are restored. libarchive only reads the entries; every write is made
// relative to directory descriptors held below the target (TargetDirectory), so neither a
// hostile name nor a local user swapping a directory for a symlink while root extracts can make
// it write outside the target. Symlinks are created, never followed. Regular files are always
// new inodes (O_CREAT|O_EXCL), their owner, mode, xattrs, ACLs and times set on the open
// descriptor; directories get theirs after their content, as tar does. The target's own owner,
// mode and times are never taken from the archive (a "." entry is skipped).
//
// Refused outright (UnsafeEntryError, the extraction stops before anything is written for the
// entry): an absolute name, a '..' component, a hardlink to such a name, and an entry beyond
// the limits below. Refused and reported (problems()): an entry that would be written through
// a symlink or over a non-empty directory, or that this host cannot take.
//
// A selection (select()) restores only some entries: those named by a path or below it. Entries
// not selected are read past without writing anything. A selected hardlink whose target was
// not selected cannot be linked (the target's data went by unwritten): it is deferred, and a
// second pass over the same archive (restore_link_targets()) writes the target's data under the
// link's own name, as if the link had held it.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/archive/beneath_path.hpp"
#include "stager/archive/extract_errors.hpp"
#include "stager/archive/tar_writer.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::archive {

struct ExtractCounts {
    std::uint64_t entries = 0; // restored (or attempted: problems() says which failed)
    std::uint64_t bytes_written = 0;
    std::uint64_t skipped = 0; // not selected
};

// Which entries to restore: each path selects the entry of that name and every entry below it.
// Paths are written as in the archive; a leading '/', "./" and a trailing '/' do not matter
// ("/etc/hosts", "etc/hosts" and "./etc//hosts" are one path). "/" or "." selects everything.
class EntrySelection {
public:
    // Throws std::invalid_argument naming a path that could not name an entry (empty, or with
    // a '..' component).
    explicit EntrySelection(const std::vector<std::string>& paths);

    // Whether `entry` is a selected path or below one; marks the paths that matched.
    bool selects(const BeneathPath& entry);
    // The same, without marking: for a hardlink's target.
    bool covers(const BeneathPath& entry) const;
    // The paths that matched no entry yet, as given.
    std::vector<std::string> unmatched() const;

private:
    struct Path {
        std::string given;
        BeneathPath path;
        bool matched = false;
    };
    std::vector<Path> paths_;
};

// A target not restored and the selected hardlinks to it, in archive order ('/'-separated names
// as in the archive, normalised).
struct DeferredLink {
    std::string target;
    std::vector<BeneathPath> links;
};

class ArchiveExtractor {
public:
    // Bounds on what one entry may make the extractor hold in memory (docs/offstage-archive.8).
    // libarchive keeps every region of a sparse map in memory while it reads the entry's
    // header; offstage archive writes about 20 bytes of map per region.
    static constexpr std::size_t max_sparse_regions = 262144;
    // pax extended headers, long names and the sparse map of one entry together.
    static constexpr std::size_t max_header_bytes = 8 << 20;

    // `name` names the input in messages. `restore_owners` needs root (CAP_CHOWN); it also
    // makes the target's owner matter (see TargetDirectory::open).
    ArchiveExtractor(platform::ByteSource& in, std::string name, bool restore_owners,
                     platform::ProgressMeter* progress = nullptr);

    // Opens or creates `directory` (UnsafeTargetError when it is not safe to write into) and
    // extracts everything into it. Entries that cannot be restored are problems(); a broken
    // input throws (whatever the source threw, e.g. an age::AgeError, or std::runtime_error
    // naming the input), a hostile entry UnsafeEntryError, a failing disk std::runtime_error
    // naming the file. A regular file whose content was not completely written is removed.
    // Needs no working directory and leaves the process's alone.
    void extract_to(const std::filesystem::path& directory);

    // Before extract_to: restore only what `selection` selects (default: everything).
    void select(EntrySelection selection) { selection_ = std::move(selection); }
    // Before extract_to, on a new extractor over the same archive: restore only the targets of
    // `links` (from deferred_links() of the first pass), each at its first link's name, and link
    // the other names to it. A target missing from the archive is a problem of each link.
    void restore_link_targets(std::vector<DeferredLink> links) { link_targets_ = std::move(links); }

    const std::vector<FileProblem>& problems() const { return problems_; }
    const ExtractCounts& counts() const { return counts_; }
    // After extract_to with a selection: the selected paths that matched no entry, as given.
    std::vector<std::string> unmatched() const {
        return selection_ ? selection_->unmatched() : std::vector<std::string>{};
    }
    // After extract_to with a selection: selected hardlinks whose target was not selected;
    // empty when no second pass is needed.
    const std::vector<DeferredLink>& deferred_links() const { return deferred_; }

private:
    platform::ByteSource& in_;
    std::string name_;
    bool restore_owners_;
    platform::ProgressMeter* progress_;
    std::vector<FileProblem> problems_;
    ExtractCounts counts_;
    std::optional<EntrySelection> selection_;
    std::vector<DeferredLink> link_targets_;
    std::vector<DeferredLink> deferred_;
};

} // namespace offstage::archive
