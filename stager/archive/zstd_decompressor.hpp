// A ByteSource that decompresses zstd frames read from another source. offstage extract
// decompresses here rather than in libarchive so that it sees, and can bound, the tar bytes
// libarchive asks for (see TarInput). A frame that needs a window above max_window_log is
// refused, which bounds the decoder's memory (offstage archive writes at most 8 MiB windows);
// a stream that ends inside a frame, or bytes after the last frame that are not a frame, are
// errors naming the input.
#pragma once

#include "platform/byte_stream.hpp"

#include <cstddef>
#include <span>
#include <string>
#include <vector>

struct ZSTD_DCtx_s;

namespace offstage::archive {

class ZstdDecompressor : public platform::ByteSource {
public:
    static constexpr int max_window_log = 24; // 16 MiB

    // `already_read`: bytes taken from `in` before (to recognize the format), decompressed
    // first. `name` names the input in messages.
    ZstdDecompressor(platform::ByteSource& in, std::string name,
                     std::span<const std::byte> already_read = {});
    ~ZstdDecompressor() override;
    ZstdDecompressor(const ZstdDecompressor&) = delete;
    ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;

    std::size_t read(std::span<std::byte> buffer) override;

    // The zstd frame magic number, as the first four bytes of a stream.
    static bool starts_a_frame(std::span<const std::byte> head);

private:
    platform::ByteSource& in_;
    std::string name_;
    ZSTD_DCtx_s* context_;
    std::vector<std::byte> input_;
    std::size_t input_pos_ = 0;
    std::size_t input_end_ = 0;
    bool input_ended_ = false;
    bool frame_complete_ = true;
};

} // namespace offstage::archive
