#include "stager/archive/zstd_decompressor.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <zstd.h>

namespace offstage::archive {

ZstdDecompressor::ZstdDecompressor(platform::ByteSource& in, std::string name,
                                   std::span<const std::byte> already_read)
    : in_(in)
    , name_(std::move(name))
    , context_(ZSTD_createDCtx())
    , input_(std::max(ZSTD_DStreamInSize(), already_read.size())) {
    if (context_ == nullptr) {
        throw std::runtime_error(name_ + ": zstd: cannot allocate a decompression context");
    }
    std::size_t result = ZSTD_DCtx_setParameter(context_, ZSTD_d_windowLogMax, max_window_log);
    if (ZSTD_isError(result) != 0) {
        ZSTD_freeDCtx(context_);
        throw std::runtime_error(name_ + ": zstd: window limit: " + ZSTD_getErrorName(result));
    }
    std::memcpy(input_.data(), already_read.data(), already_read.size());
    input_end_ = already_read.size();
}

ZstdDecompressor::~ZstdDecompressor() {
    ZSTD_freeDCtx(context_);
}

bool ZstdDecompressor::starts_a_frame(std::span<const std::byte> head) {
    static constexpr unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};
    return head.size() >= 4 && std::memcmp(head.data(), magic, 4) == 0;
}

std::size_t ZstdDecompressor::read(std::span<std::byte> buffer) {
    if (buffer.empty()) {
        return 0;
    }
    ZSTD_outBuffer output{buffer.data(), buffer.size(), 0};
    for (;;) {
        // Called with no new input too: the context may still hold output for the last input.
        ZSTD_inBuffer input{input_.data(), input_end_, input_pos_};
        std::size_t hint = ZSTD_decompressStream(context_, &output, &input);
        if (ZSTD_isError(hint) != 0) {
            throw std::runtime_error(name_ + ": zstd: " + ZSTD_getErrorName(hint));
        }
        if (input.pos != input_pos_ || output.pos > 0) {
            frame_complete_ = hint == 0; // 0: a frame ended and everything of it is out
        }
        input_pos_ = input.pos;
        if (output.pos > 0) {
            return output.pos;
        }
        if (input_pos_ < input_end_) {
            continue;
        }
        if (input_ended_) {
            if (!frame_complete_) {
                throw std::runtime_error(name_ + ": zstd: the stream ends inside a frame");
            }
            return 0;
        }
        input_pos_ = 0;
        input_end_ = in_.read(input_);
        input_ended_ = input_end_ == 0;
    }
}

} // namespace offstage::archive
