// Writes age's ASCII armor around what it is given: the BEGIN line, padded base64 in lines of
// 64 columns, the END line; exactly what `age -a` writes. Output goes to `out` in large blocks.
#pragma once

#include "platform/byte_stream.hpp"

#include <array>
#include <cstdint>
#include <string>

namespace offstage::age {

class ArmorWriter : public platform::ByteSink {
public:
    explicit ArmorWriter(platform::ByteSink& out);
    void write(std::span<const std::byte> bytes) override;
    void finish() override; // the last line and the END line, then out.finish()

private:
    void flush();

    platform::ByteSink& out_;
    std::array<std::uint8_t, 48> pending_{}; // one line's worth of bytes not yet encoded
    std::size_t pending_size_ = 0;
    std::string text_;
};

} // namespace offstage::age
