#include "stager/archive/zstd_decompressor.hpp"

#include <algorithm>
#include <cstring>
#include <zstd.h>

namespace offstage::archive {

ZstdDecompressor::ZstdDecompressor(platform::ByteSource& in, std::string name,
                                   std::span<const std::byte> already_read)
    : in_(in)
    , name_(std::move(name))
    , context_(ZSTD_createDCtx())
    , input_(std::max(ZSTD_DStreamInSize(), already_read.size())) {
    if (context_ == nullptr) {
        throw ZstdError(name_ + ": zstd: cannot allocate a decompression context");
    }
    std::size_t result = ZSTD_DCtx_setParameter(context_, ZSTD_d_windowLogMax, max_window_log);
    if (ZSTD_isError(result) != 0) {
        ZSTD_freeDCtx(context_);
        throw ZstdError(name_ + ": zstd: window limit: " + ZSTD_getErrorName(result));
    }
    if (!already_read.empty()) { // (an empty span's data() may be null: no memcpy of it)
        std::memcpy(input_.data(), already_read.data(), already_read.size());
    }
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
    while (true) {
        if (input_begin_ == input_end_ && !input_ended_) {
            input_begin_ = 0;
            input_end_ = in_.read(input_);
            input_ended_ = input_end_ == 0;
        }
        // Called with no new input too: the context may still hold output of the last input.
        ZSTD_inBuffer in{input_.data() + input_begin_, input_end_ - input_begin_, 0};
        ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
        std::size_t result = ZSTD_decompressStream(context_, &out, &in);
        if (ZSTD_isError(result) != 0) {
            throw ZstdError(name_ + ": zstd: " + ZSTD_getErrorName(result) + " (in frame " +
                            std::to_string(frames_ + 1) + ")");
        }
        input_begin_ += in.pos;
        if (in.pos > 0 || out.pos > 0) {
            inside_frame_ = true;
        }
        if (result == 0 && inside_frame_) {
            // The frame is decoded, its checksum verified, and its output fully flushed.
            inside_frame_ = false;
            ++frames_;
        }
        if (out.pos > 0) {
            return out.pos;
        }
        if (input_begin_ == input_end_ && input_ended_) {
            if (inside_frame_) {
                throw ZstdError(name_ + ": zstd: the data ends inside a frame (truncated)");
            }
            if (frames_ == 0) {
                throw ZstdError(name_ + ": zstd: no frame at all (empty stream)");
            }
            return 0;
        }
    }
}

} // namespace offstage::archive
