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
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/archive/extract_errors.hpp"
#include "stager/archive/tar_writer.hpp"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace offstage::archive {

struct ExtractCounts {
    std::uint64_t entries = 0;
    std::uint64_t bytes_written = 0;
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

    const std::vector<FileProblem>& problems() const { return problems_; }
    const ExtractCounts& counts() const { return counts_; }

private:
    platform::ByteSource& in_;
    std::string name_;
    bool restore_owners_;
    platform::ProgressMeter* progress_;
    std::vector<FileProblem> problems_;
    ExtractCounts counts_;
};

} // namespace offstage::archive
