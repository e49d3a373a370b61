#include "stager/archive/zstd_compressor.hpp"

#include <stdexcept>
#include <string>
#include <zstd.h>

namespace offstage::archive {

namespace {

constexpr int job_size = 2 << 20;

void check(std::size_t result, const std::string& what) {
    if (ZSTD_isError(result) != 0) {
        throw std::runtime_error("zstd: " + what + ": " + ZSTD_getErrorName(result));
    }
}

} // namespace

ZstdCompressor::ZstdCompressor(const ZstdSettings& settings, platform::ByteSink& out)
    : context_(ZSTD_createCCtx())
    , out_(out)
    , buffer_(ZSTD_CStreamOutSize()) {
    if (context_ == nullptr) {
        throw std::runtime_error("zstd: cannot allocate a compression context");
    }
    try {
        if (settings.level < 1 || settings.level > ZSTD_maxCLevel()) {
            throw std::runtime_error("zstd: level " + std::to_string(settings.level) +
                                     " is outside 1.." + std::to_string(ZSTD_maxCLevel()));
        }
        check(ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel, settings.level),
              "level " + std::to_string(settings.level));
        // The checksum lets `zstd -d` (and our reader) notice corruption on its own; age
        // authenticates too, but the frame should stand on its own in a decrypted copy.
        check(ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1), "checksum flag");
        if (settings.workers > 0) {
            check(ZSTD_CCtx_setParameter(context_, ZSTD_c_nbWorkers, settings.workers),
                  std::to_string(settings.workers) + " worker threads");
            // libzstd keeps about (workers + 2) jobs in flight, each with an input and an
            // output buffer of the job size; its default (4 windows: 8 MiB at level 3, 32 MiB
            // at level 19) would put the peak near 100 MB. 2 MiB jobs still give each worker
            // plenty to do: measured with zstd -3 -T2 on 1.2 GB of /usr, they take 22.7 MB
            // where 4 MiB jobs take 40.3 MB, for an output 0.4% larger (1 MiB: 15 MB, +1%).
            // That margin is what keeps a whole `offstage run` under its 128 MiB bound.
            check(ZSTD_CCtx_setParameter(context_, ZSTD_c_jobSize, job_size), "job size");
        }
    } catch (...) {
        ZSTD_freeCCtx(context_);
        throw;
    }
}

ZstdCompressor::~ZstdCompressor() {
    ZSTD_freeCCtx(context_);
}

void ZstdCompressor::write(std::span<const std::byte> bytes) {
    if (finished_) {
        throw std::logic_error("zstd: write after finish");
    }
    // tar hands over headers, padding and small files in pieces of 512 bytes to a few KiB;
    // each compressStream2 call in multithreaded mode takes locks and polls the workers, so
    // gather those into large pieces (big files come through whole, without the copy).
    if (pending_.size() + bytes.size() > input_batch) {
        flush_pending();
    }
    if (bytes.size() >= input_batch) {
        compress(bytes, ZSTD_e_continue);
    } else {
        pending_.insert(pending_.end(), bytes.begin(), bytes.end());
    }
}

void ZstdCompressor::flush_pending() {
    if (!pending_.empty()) {
        compress(pending_, ZSTD_e_continue);
        pending_.clear();
    }
}

void ZstdCompressor::finish() {
    if (finished_) {
        return;
    }
    flush_pending();
    compress({}, ZSTD_e_end);
    finished_ = true;
    out_.finish();
}

void ZstdCompressor::compress(std::span<const std::byte> bytes, int directive) {
    ZSTD_inBuffer input{bytes.data(), bytes.size(), 0};
    for (;;) {
        ZSTD_outBuffer output{buffer_.data(), buffer_.size(), 0};
        std::size_t remaining = ZSTD_compressStream2(context_, &output, &input,
                                                     static_cast<ZSTD_EndDirective>(directive));
        check(remaining, "compress");
        if (output.pos > 0) {
            out_.write(std::span<const std::byte>(buffer_.data(), output.pos));
        }
        // continue: done once the input is consumed (workers keep going in the background);
        // end: done once libzstd says the frame is complete.
        if (directive == ZSTD_e_end ? remaining == 0 : input.pos == input.size) {
            return;
        }
    }
}

} // namespace offstage::archive
