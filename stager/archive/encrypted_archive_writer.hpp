// An offstage archive artifact in the making: pax tar -> zstd (or nothing) -> age -> an output
// sink, in one pass with bounded memory and no plaintext on disk. The output is usually an
// AtomicOutputFile, which appears under its name only once commit() has written and synced all
// of it. The work is spread over three pools of threads, each sized to the CPUs the process may
// use unless configured: reader threads open and read files ahead (ReadAhead) while this thread
// writes the tar in order; libzstd's workers compress; seal threads encrypt age chunks and
// write them in order (ParallelSealer). With one seal thread, the compressed stream is sealed
// here, and an uncompressed one on a thread of its own behind a bounded queue (PipelinedSink).
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/progress_meter.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/archive/pipelined_sink.hpp"
#include "stager/archive/tar_writer.hpp"
#include "stager/archive/zstd_compressor.hpp"

#include <memory>
#include <string>

namespace offstage::archive {

struct CompressionSettings {
    bool zstd = true; // false: the tar goes uncompressed into age
    int level = 3;
    int threads = 0;      // zstd worker threads; 0 = one per usable CPU
    int read_threads = 0; // threads reading files ahead of the tar writer; 0 = one per usable CPU
    int seal_threads = 0; // threads sealing age chunks; 0 = one per usable CPU
};

class EncryptedArchiveWriter {
public:
    // Writes the age header to `output` at once; throws on a bad setting or I/O error.
    // `output` must outlive the writer; commit() finishes it.
    // `tar_tap`, when given, sees every byte of the tar stream before compression (the run's
    // keyed digest of an artifact's plaintext); it is written to, never finished.
    EncryptedArchiveWriter(platform::ByteSink& output, const age::EncryptOptions& keys,
                           const CompressionSettings& compression,
                           platform::ProgressMeter* progress = nullptr,
                           platform::ByteSink* tar_tap = nullptr);
    ~EncryptedArchiveWriter();
    EncryptedArchiveWriter(const EncryptedArchiveWriter&) = delete;
    EncryptedArchiveWriter& operator=(const EncryptedArchiveWriter&) = delete;

    void add(const std::string& path) { tar_->add(path); }
    // Ends the tar, the zstd frame and the age stream, then finishes the output (an
    // AtomicOutputFile fsyncs and renames into place). Without it (an exception), the age
    // stream never gets its final chunk, so no reader takes what was written for complete.
    void commit();

    TarWriter& tar() { return *tar_; }
    const std::vector<FileProblem>& problems() const { return tar_->problems(); }

private:
    std::unique_ptr<age::Encryptor> encryptor_;
    std::unique_ptr<PipelinedSink> pipeline_;
    std::unique_ptr<ZstdCompressor> compressor_;
    std::unique_ptr<platform::ByteSink> tee_;
    std::unique_ptr<TarWriter> tar_;
};

// The number of threads a setting stands for: itself, or 0 for one per usable CPU
// (sched_getaffinity: `taskset` and cgroup cpusets are honoured).
int zstd_workers_for(int threads);

} // namespace offstage::archive
