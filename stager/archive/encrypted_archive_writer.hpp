// An offstage archive artifact in the making: pax tar -> zstd (or nothing) -> age -> a file that
// appears under its name only once commit() has written and synced all of it. One pass, bounded
// memory, no plaintext on disk. The work is spread over threads: this thread reads files and
// writes tar, libzstd's workers compress, one thread encrypts and one writes the file, with
// bounded queues in between (PipelinedSink).
#pragma once

#include "platform/progress_meter.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/archive/atomic_output_file.hpp"
#include "stager/archive/pipelined_sink.hpp"
#include "stager/archive/tar_writer.hpp"
#include "stager/archive/zstd_compressor.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

namespace offstage::archive {

struct CompressionSettings {
    bool zstd = true; // false: the tar goes uncompressed into age
    int level = 3;
    int threads = 0; // zstd worker threads; 0 = one per core
};

class EncryptedArchiveWriter {
public:
    // Creates the temporary file beside `output`; throws on a bad setting or I/O error.
    EncryptedArchiveWriter(const std::filesystem::path& output, const age::EncryptOptions& keys,
                           const CompressionSettings& compression,
                           platform::ProgressMeter* progress = nullptr);
    ~EncryptedArchiveWriter();
    EncryptedArchiveWriter(const EncryptedArchiveWriter&) = delete;
    EncryptedArchiveWriter& operator=(const EncryptedArchiveWriter&) = delete;

    void add(const std::string& path) { tar_->add(path); }
    // Ends the tar, the zstd frame and the age stream, fsyncs and renames into place. Without
    // it (an exception), the destructor leaves nothing behind.
    void commit();

    TarWriter& tar() { return *tar_; }
    const std::vector<FileProblem>& problems() const { return tar_->problems(); }

private:
    AtomicOutputFile file_;
    std::unique_ptr<PipelinedSink> file_pipeline_;
    std::unique_ptr<age::Encryptor> encryptor_;
    std::unique_ptr<PipelinedSink> pipeline_;
    std::unique_ptr<ZstdCompressor> compressor_;
    std::unique_ptr<TarWriter> tar_;
};

// The number of zstd workers `threads` stands for (0 = one per core).
int zstd_workers_for(int threads);

} // namespace offstage::archive
