#include "stager/restore/zstd_decompressor.hpp"

#include <zstd.h>

namespace offstage::restore {

ZstdDecompressor::ZstdDecompressor(platform::ByteSource& in, std::string name)
    : in_(in)
    , name_(std::move(name))
    , context_(ZSTD_createDCtx())
    , input_(ZSTD_DStreamInSize()) {
    if (context_ == nullptr) {
        throw ZstdError(name_ + ": zstd: cannot allocate a decompression context");
    }
}

ZstdDecompressor::~ZstdDecompressor() {
    ZSTD_freeDCtx(context_);
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
        if (input_begin_ == input_end_ && input_ended_) {
            if (inside_frame_) {
                throw ZstdError(name_ + ": zstd: the data ends inside a frame (truncated)");
            }
            if (frames_ == 0) {
                throw ZstdError(name_ + ": zstd: no frame at all (empty stream)");
            }
            return 0;
        }
        ZSTD_inBuffer in{input_.data() + input_begin_, input_end_ - input_begin_, 0};
        ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
        std::size_t result = ZSTD_decompressStream(context_, &out, &in);
        if (ZSTD_isError(result)) {
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
    }
}

} // namespace offstage::restore
