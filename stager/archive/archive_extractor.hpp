// Extracts an offstage archive (pax tar, zstd-compressed or not) from a ByteSource into a
// directory with libarchive: owners (when root), modes, times, xattrs, ACLs, hardlinks and
// sparse files are restored. It refuses to write outside the directory: an entry with an
// absolute path or a '..' component stops the extraction (UnsafeEntryError) before anything is
// written for it, and libarchive's SECURE_* checks refuse extraction through a symlink.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/archive/tar_writer.hpp"

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace offstage::archive {

// The archive holds an entry that would land outside the target: not something offstage
// writes, so the archive is not trusted further.
class UnsafeEntryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ExtractCounts {
    std::uint64_t entries = 0;
    std::uint64_t bytes_written = 0;
};

class ArchiveExtractor {
public:
    // `name` names the input in messages. `restore_owners` needs root (CAP_CHOWN).
    ArchiveExtractor(platform::ByteSource& in, std::string name, bool restore_owners,
                     platform::ProgressMeter* progress = nullptr);

    // Creates `directory` if needed and extracts everything into it. Entries that libarchive
    // cannot write (e.g. through a symlink) are problems(); a broken input throws (whatever
    // the source threw, e.g. an age::AgeError, or std::runtime_error naming the input).
    // Changes the process's working directory for the duration (as bsdtar does, so that the
    // SECURE_* checks apply to the names as stored): not for use beside other threads that
    // depend on the working directory.
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
