// One file of a day in the making (an artifact, report.json, SHA256SUMS...): bytes go to a
// hidden temp file in the work dir, their SHA-256 is computed as they pass (so SHA256SUMS never
// reads gigabytes back), and finish() fsyncs the file and renames it to its name. Written data
// goes to the disk as it comes, window by window, and leaves the page cache once written: a
// run's gigabytes of ciphertext, which offstage never reads again, neither evict the host's
// cache nor pile up for one long fsync at the end. A DayFile
// destroyed unfinished removes its temp file: a half-written file never has a day's name.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/unique_fd.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "stager/staging/staging_tree.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace offstage::staging {

class DayFile : public platform::ByteSink {
public:
    // `name` is relative to the work dir: an artifact name (is_artifact_name) or one of the
    // plain files of the layout; missing parent directories are created (0700). Throws
    // StagingError for another name, std::system_error for I/O.
    DayFile(const WorkDir& work, std::string name);
    ~DayFile() override;
    DayFile(const DayFile&) = delete;
    DayFile& operator=(const DayFile&) = delete;

    void write(std::span<const std::byte> bytes) override;
    // fsync, rename to the name (never over an existing file), fsync the directory.
    void finish() override;

    const std::string& name() const { return name_; }
    std::uint64_t size() const { return size_; }
    // The digest of every byte written; complete once finish() returned.
    const Sha256Digest& sha256() const { return digest_; }

private:
    struct Hash;
    std::string name_;
    std::filesystem::path final_path_;
    std::filesystem::path temporary_path_;
    platform::UniqueFd fd_;
    std::unique_ptr<Hash> hash_;
    void write_behind();
    std::uint64_t size_ = 0;
    std::uint64_t written_behind_ = 0; // bytes whose writeback has been started
    Sha256Digest digest_{};
    bool finished_ = false;
};

// Writes `content` as the day file `name` and returns its digest.
Sha256Digest write_day_file(const WorkDir& work, const std::string& name, std::string_view content);

} // namespace offstage::staging
