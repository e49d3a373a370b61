#include "stager/age/armor_writer.hpp"

#include "stager/age/armor.hpp"
#include "stager/age/base64.hpp"

#include <cstring>

namespace offstage::age {
namespace {
constexpr std::size_t flush_size = 256 * 1024;
}

ArmorWriter::ArmorWriter(platform::ByteSink& out)
    : out_(out) {
    text_.reserve(flush_size + 128);
    text_.append(armor::begin_line);
    text_.push_back('\n');
}

void ArmorWriter::write(std::span<const std::byte> bytes) {
    auto data = std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    while (!data.empty()) {
        if (pending_size_ == 0 && data.size() >= armor::bytes_per_line) {
            append_base64_padded(data.first(armor::bytes_per_line), text_);
            text_.push_back('\n');
            data = data.subspan(armor::bytes_per_line);
        } else {
            std::size_t take = std::min(armor::bytes_per_line - pending_size_, data.size());
            std::memcpy(pending_.data() + pending_size_, data.data(), take);
            pending_size_ += take;
            data = data.subspan(take);
            if (pending_size_ == armor::bytes_per_line) {
                append_base64_padded(pending_, text_);
                text_.push_back('\n');
                pending_size_ = 0;
            }
        }
        if (text_.size() >= flush_size) {
            flush();
        }
    }
}

void ArmorWriter::finish() {
    if (pending_size_ > 0) {
        append_base64_padded(std::span(pending_).first(pending_size_), text_);
        text_.push_back('\n');
        pending_size_ = 0;
    }
    text_.append(armor::end_line);
    text_.push_back('\n');
    flush();
    out_.finish();
}

void ArmorWriter::flush() {
    out_.write(std::as_bytes(std::span(text_.data(), text_.size())));
    text_.clear();
}

} // namespace offstage::age
