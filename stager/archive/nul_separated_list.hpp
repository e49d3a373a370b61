// Reads a NUL-separated list of paths (find -print0, the selection's output) from a ByteSource
// one path at a time, so a list of millions of paths is never held whole. Paths are bytes:
// no decoding, no trimming; empty items are skipped.
#pragma once

#include "platform/byte_stream.hpp"

#include <optional>
#include <string>
#include <vector>

namespace offstage::archive {

class NulSeparatedList {
public:
    explicit NulSeparatedList(platform::ByteSource& in)
        : in_(in)
        , buffer_(1 << 16) {}
    // The next path, or nullopt at the end. A last item without its NUL still counts.
    std::optional<std::string> next();

private:
    platform::ByteSource& in_;
    std::vector<std::byte> buffer_;
    std::size_t position_ = 0;
    std::size_t filled_ = 0;
    bool ended_ = false;
};

} // namespace offstage::archive
