// The one zstd decoder of offstage: a ByteSource that decompresses zstd frames read from another
// source and proves the stream whole, for `offstage extract` and `restore` (which decompress here
// rather than in libarchive so that they see, and can bound, the tar bytes libarchive asks for;
// see TarInput) and for `offstage verify` (stager/restore). Every frame's content checksum is
// checked by libzstd; the end of the stream is reported only when the input ended exactly at
// the end of a frame: a stream that ends inside a frame, one holding no frame at all, or bytes
// after the last frame that are not a frame are ZstdErrors naming the input. A frame that needs
// a window above max_window_log is refused, which bounds the decoder's memory (offstage
// writes at most 8 MiB windows).
#pragma once

#include "platform/byte_stream.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

struct ZSTD_DCtx_s;

namespace offstage::archive {

class ZstdError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class ZstdDecompressor : public platform::ByteSource {
public:
    static constexpr int max_window_log = 24; // 16 MiB

    // `already_read`: bytes taken from `in` before (to recognize the format), decompressed
    // first. `name` names the input in messages ("files.tar.zst.age: zstd: ...").
    ZstdDecompressor(platform::ByteSource& in, std::string name,
                     std::span<const std::byte> already_read = {});
    ~ZstdDecompressor() override;
    ZstdDecompressor(const ZstdDecompressor&) = delete;
    ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;

    // Throws ZstdError for corrupt, truncated or empty data; passes on what `in` throws.
    std::size_t read(std::span<std::byte> buffer) override;

    // Frames decoded whole so far.
    std::uint64_t frames() const { return frames_; }

    // The zstd frame magic number, as the first four bytes of a stream.
    static bool starts_a_frame(std::span<const std::byte> head);

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

} // namespace offstage::archive
