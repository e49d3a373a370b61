// An output file that appears under its final name only when complete: bytes go to a temporary
// file beside the target (same directory, so rename(2) is atomic), finish() fsyncs it and
// renames it into place. If finish() is never reached (an error, an exception), the destructor
// removes the temporary file; if a signal ends the process (termination_signals.hpp), the signal
// handler does: a reader never sees a half-written artifact, and no partial plaintext is left.
//
// Only a regular file is ever replaced: a target that is a symbolic link, a device node, a FIFO,
// a directory or a socket is refused (OutputPathRefused), when the object is made and again just
// before the rename. Writing to a device or a FIFO is OutputPath's business (output_path.hpp).
#pragma once

#include "platform/fd_stream.hpp"
#include "platform/termination_signals.hpp"
#include "platform/unique_fd.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace offstage::archive {

class AtomicOutputFile : public platform::ByteSink {
public:
    // Creates ".NAME.tmp-XXXXXX" beside `target` with mode 0600. Throws OutputPathRefused when
    // `target` exists and is not a regular file, std::system_error when the directory cannot be
    // opened or the file created.
    explicit AtomicOutputFile(std::filesystem::path target);
    ~AtomicOutputFile() override;
    AtomicOutputFile(const AtomicOutputFile&) = delete;
    AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

    void write(std::span<const std::byte> bytes) override;
    // fsync, rename over `target`, fsync the directory.
    void finish() override;

    std::filesystem::path temporary_path() const { return directory_path_ / temporary_name_; }

private:
    std::filesystem::path target_;
    std::filesystem::path directory_path_;
    platform::UniqueFd directory_;
    std::string temporary_name_;
    std::optional<platform::RemovedOnTermination> removed_on_signal_;
    platform::UniqueFd fd_;
    std::optional<platform::FdSink> sink_;
    bool committed_ = false;
};

} // namespace offstage::archive
