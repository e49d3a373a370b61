#include "stager/archive/encrypted_archive_writer.hpp"

#include <stdexcept>
#include <thread>

namespace offstage::archive {

int zstd_workers_for(int threads) {
    if (threads < 0) {
        throw std::invalid_argument("zstd threads must be 0 (one per core) or more, not " +
                                    std::to_string(threads));
    }
    if (threads > 0) {
        return threads;
    }
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : static_cast<int>(cores);
}

EncryptedArchiveWriter::EncryptedArchiveWriter(const std::filesystem::path& output,
                                               const age::EncryptOptions& keys,
                                               const CompressionSettings& compression,
                                               platform::ProgressMeter* progress)
    : file_(output) {
    // Writing (a copy into the page cache, or a wait on the disk) gets a thread of its own, so
    // that the encrypting thread only encrypts.
    file_pipeline_ = std::make_unique<PipelinedSink>(file_);
    encryptor_ = std::make_unique<age::Encryptor>(keys, *file_pipeline_);
    pipeline_ = std::make_unique<PipelinedSink>(*encryptor_);
    platform::ByteSink* tar_output = pipeline_.get();
    if (compression.zstd) {
        compressor_ = std::make_unique<ZstdCompressor>(
            ZstdSettings{compression.level, zstd_workers_for(compression.threads)}, *pipeline_);
        tar_output = compressor_.get();
    }
    tar_ = std::make_unique<TarWriter>(*tar_output, progress);
}

EncryptedArchiveWriter::~EncryptedArchiveWriter() {
    // Stop the producers before the consumer thread, the consumer before the file.
    tar_.reset();
    compressor_.reset();
    pipeline_.reset();
    encryptor_.reset();
    file_pipeline_.reset();
}

void EncryptedArchiveWriter::commit() {
    // Each finish() finishes the next sink down the chain, ending with the file's rename.
    tar_->finish();
}

} // namespace offstage::archive
