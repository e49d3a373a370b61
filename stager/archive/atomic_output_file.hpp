// An output file that appears under its final name only when complete: bytes go to a temporary
// file beside the target (same directory, so rename(2) is atomic), finish() fsyncs it and
// renames it into place. If finish() is never reached (an error, an exception), the destructor
// removes the temporary file: a reader never sees a half-written artifact.
#pragma once

#include "platform/fd_stream.hpp"
#include "platform/unique_fd.hpp"

#include <filesystem>
#include <string>

namespace offstage::archive {

class AtomicOutputFile : public platform::ByteSink {
public:
    // Creates ".NAME.tmp-XXXXXX" beside `target` with mode 0600. Throws std::system_error.
    explicit AtomicOutputFile(std::filesystem::path target);
    ~AtomicOutputFile() override;
    AtomicOutputFile(const AtomicOutputFile&) = delete;
    AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

    void write(std::span<const std::byte> bytes) override;
    // fsync, rename over `target`, fsync the directory.
    void finish() override;

    const std::filesystem::path& temporary_path() const { return temporary_; }

private:
    std::filesystem::path target_;
    std::filesystem::path temporary_;
    platform::UniqueFd fd_;
    platform::FdSink sink_;
    bool committed_ = false;
};

} // namespace offstage::archive
