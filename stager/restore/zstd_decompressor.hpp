// A ByteSource that decompresses zstd frames from another source and proves the stream whole:
// every frame's content checksum is checked by libzstd, and the end of the stream is reported
// only when the input ended exactly at the end of a frame (a truncated frame is an error, as
// is an input holding no frame at all). Memory is bounded by libzstd's default window limit
// (128 MiB; offstage writes far smaller windows).
#pragma once

#include "platform/byte_stream.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

struct ZSTD_DCtx_s;

namespace offstage::restore {

class ZstdError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ZstdDecompressor : public platform::ByteSource {
public:
    // `name` names the stream in messages ("files.tar.zst.age: zstd: ...").
    ZstdDecompressor(platform::ByteSource& in, std::string name);
    ~ZstdDecompressor() override;
    ZstdDecompressor(const ZstdDecompressor&) = delete;
    ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;

    // Throws ZstdError for corrupt or truncated data; passes on what `in` throws.
    std::size_t read(std::span<std::byte> buffer) override;

    std::uint64_t frames() const { return frames_; }

private:
    platform::ByteSource& in_;
    std::string name_;
    ZSTD_DCtx_s* context_;
    std::vector<std::byte> input_;
    std::size_t input_begin_ = 0;
    std::size_t input_end_ = 0;
    bool input_ended_ = false;
    bool inside_frame_ = false;
    std::uint64_t frames_ = 0;
};

} // namespace offstage::restore
