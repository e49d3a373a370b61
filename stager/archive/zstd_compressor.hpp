// A ByteSink that compresses into one zstd frame (with content checksum) and passes the
// compressed bytes on to another sink. With workers > 0 libzstd compresses in its own threads
// while the caller keeps feeding input, so reading and compressing overlap. Memory is bounded by
// libzstd's window and job sizes for the level (about 23 MB at level 3 with two workers).
#pragma once

#include "platform/byte_stream.hpp"

#include <cstddef>
#include <vector>

struct ZSTD_CCtx_s;

namespace offstage::archive {

struct ZstdSettings {
    int level = 3;   // 1..19 (ZSTD_maxCLevel() accepted too); negative levels are rejected
    int workers = 0; // compression threads besides the caller; 0 = compress in the caller
};

class ZstdCompressor : public platform::ByteSink {
public:
    // Throws std::runtime_error naming the setting libzstd refused.
    ZstdCompressor(const ZstdSettings& settings, platform::ByteSink& out);
    ~ZstdCompressor() override;
    ZstdCompressor(const ZstdCompressor&) = delete;
    ZstdCompressor& operator=(const ZstdCompressor&) = delete;

    void write(std::span<const std::byte> bytes) override;
    // Ends the frame, then calls out.finish().
    void finish() override;

private:
    static constexpr std::size_t input_batch = 1 << 20;
    void compress(std::span<const std::byte> bytes, int directive);
    void flush_pending();

    ZSTD_CCtx_s* context_;
    platform::ByteSink& out_;
    std::vector<std::byte> buffer_;
    std::vector<std::byte> pending_;
    bool finished_ = false;
};

} // namespace offstage::archive
