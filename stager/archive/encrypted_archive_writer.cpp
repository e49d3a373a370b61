#include "stager/archive/encrypted_archive_writer.hpp"

#include "platform/config_limits.hpp"

#include <stdexcept>

namespace offstage::archive {

namespace {

// Passes every byte to `main` and shows it to `tap` first (main may take the memory of a
// reserved span on write). finish() finishes main only: the tap's owner ends it.
class TeeSink : public platform::ByteSink {
public:
    TeeSink(platform::ByteSink& main, platform::ByteSink& tap)
        : main_(main)
        , tap_(tap) {}
    void write(std::span<const std::byte> bytes) override {
        tap_.write(bytes);
        main_.write(bytes);
    }
    void finish() override { main_.finish(); }
    std::span<std::byte> reserve(std::size_t size) override { return main_.reserve(size); }

private:
    platform::ByteSink& main_;
    platform::ByteSink& tap_;
};

} // namespace

int zstd_workers_for(int threads) {
    if (threads < 0) {
        throw std::invalid_argument("zstd threads must be 0 (one per core) or more, not " +
                                    std::to_string(threads));
    }
    return threads > 0 ? threads : platform::usable_cpus();
}

EncryptedArchiveWriter::EncryptedArchiveWriter(platform::ByteSink& output,
                                               const age::EncryptOptions& keys,
                                               const CompressionSettings& compression,
                                               platform::ProgressMeter* progress,
                                               platform::ByteSink* tar_tap) {
    // The seal threads write to the output themselves, in order; with one, the encryptor
    // writes from the thread that feeds it: a copy into the page cache (or a wait on the disk)
    // costs less CPU than handing every sealed block to another thread.
    age::EncryptOptions sealing = keys;
    sealing.threads = zstd_workers_for(compression.seal_threads);
    encryptor_ = std::make_unique<age::Encryptor>(sealing, output);
    platform::ByteSink* tar_output = nullptr;
    if (sealing.threads > 1 && !compression.zstd) {
        tar_output = encryptor_.get(); // the seal threads are the second stage
    } else if (compression.zstd) {
        // libzstd's workers compress on threads of their own while this thread reads files;
        // the compressed stream is small enough to encrypt here, between two feeds, which
        // costs less CPU than a queue to yet another thread. With both cores busy compressing,
        // CPU time is what decides the wall time.
        compressor_ = std::make_unique<ZstdCompressor>(
            ZstdSettings{compression.level, zstd_workers_for(compression.threads)}, *encryptor_);
        tar_output = compressor_.get();
    } else {
        // Uncompressed, reading and encrypting cost about the same: one thread each.
        pipeline_ = std::make_unique<PipelinedSink>(*encryptor_);
        tar_output = pipeline_.get();
    }
    if (tar_tap != nullptr) {
        tee_ = std::make_unique<TeeSink>(*tar_output, *tar_tap);
        tar_output = tee_.get();
    }
    tar_ = std::make_unique<TarWriter>(*tar_output, progress,
                                       zstd_workers_for(compression.read_threads));
}

EncryptedArchiveWriter::~EncryptedArchiveWriter() {
    // Stop the producers before the consumer thread.
    tar_.reset();
    tee_.reset();
    compressor_.reset();
    pipeline_.reset();
    encryptor_.reset();
}

void EncryptedArchiveWriter::commit() {
    // Each finish() finishes the next sink down the chain, ending with the file's rename.
    tar_->finish();
}

} // namespace offstage::archive
