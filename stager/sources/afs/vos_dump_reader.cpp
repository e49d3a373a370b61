#include "stager/sources/afs/vos_dump_reader.hpp"

#include <array>
#include <cstring>
#include <vector>

namespace offstage::sources::afs {

namespace {

// The section tags; field tags are printable letters, all above these.
constexpr int dump_header_tag = 1;
constexpr int volume_header_tag = 2;
constexpr int vnode_tag = 3;
constexpr int dump_end_tag = 4;
constexpr int last_section_tag = 4; // D_MAX: a byte above it is a field tag
constexpr std::uint32_t dump_begin_magic = 0xB3A11322;
constexpr std::size_t max_string = 1024;
constexpr std::size_t max_array = 64;
// A directory vnode's access list: SIZEOF_LARGEDISKVNODE - SIZEOF_SMALLDISKVNODE.
constexpr std::size_t acl_bytes = 192;

// How each field of a section is laid out after its tag byte.
enum class Field { none, byte, int16, int32, string, int32_array, acl, data32, data64 };

Field volume_header_field(int tag) {
    switch (tag) {
    case 'i':
    case 'v':
    case 'u':
    case 'p':
    case 'c':
    case 'q':
    case 'm':
    case 'd':
    case 'f':
    case 'a':
    case 'o':
    case 'C':
    case 'A':
    case 'U':
    case 'E':
    case 'B':
    case 'D':
    case 'Z':
    case 'V': // volUpCounter (1.6 and later)
        return Field::int32;
    case 's':
    case 'b':
    case 't':
        return Field::byte;
    case 'n':
    case 'O':
    case 'M':
        return Field::string;
    case 'W':
        return Field::int32_array;
    default:
        return Field::none;
    }
}

Field vnode_field(int tag) {
    switch (tag) {
    case 't':
        return Field::byte;
    case 'l':
    case 'b':
        return Field::int16;
    case 'v':
    case 'm':
    case 's':
    case 'a':
    case 'o':
    case 'g':
    case 'p':
        return Field::int32;
    case 'A':
        return Field::acl;
    case 'f':
        return Field::data32;
    case 'h':
        return Field::data64;
    default:
        return Field::none;
    }
}

std::string describe_tag(int tag) {
    if (tag >= 0x21 && tag <= 0x7e) {
        return "'" + std::string(1, static_cast<char>(tag)) + "'";
    }
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02x", tag);
    return hex;
}

class Reader {
public:
    explicit Reader(platform::ByteSource& source)
        : source_(source) {}

    // The next byte, or -1 at the end of the stream.
    int peek() {
        if (position_ == filled_ && !refill()) {
            return -1;
        }
        return buffer_[position_];
    }
    int byte(const char* what) {
        int next = peek();
        if (next < 0) {
            truncated(what);
        }
        ++position_;
        ++offset_;
        return next;
    }
    std::uint32_t int32(const char* what) {
        std::uint32_t value = 0;
        for (int i = 0; i < 4; ++i) {
            value = (value << 8) | static_cast<std::uint32_t>(byte(what));
        }
        return value;
    }
    std::uint16_t int16(const char* what) {
        std::uint16_t high = static_cast<std::uint16_t>(byte(what));
        return static_cast<std::uint16_t>((high << 8) | byte(what));
    }
    std::string string(const char* what) {
        std::string text;
        while (true) {
            int next = byte(what);
            if (next == 0) {
                return text;
            }
            if (text.size() == max_string) {
                fail(std::string(what) + " longer than " + std::to_string(max_string) + " bytes");
            }
            text.push_back(static_cast<char>(next));
        }
    }
    void skip(std::uint64_t count, const char* what) {
        while (count > 0) {
            if (position_ == filled_ && !refill()) {
                truncated(what);
            }
            std::uint64_t step = std::min<std::uint64_t>(count, filled_ - position_);
            position_ += step;
            offset_ += step;
            count -= step;
        }
    }
    std::uint64_t offset() const { return offset_; }

    [[noreturn]] void fail(const std::string& message) const {
        throw VosDumpError(offset_, message);
    }
    [[noreturn]] void truncated(const char* what) const {
        fail(std::string("the dump ends inside ") + what + " (truncated)");
    }

private:
    bool refill() {
        position_ = 0;
        filled_ = source_.read(std::as_writable_bytes(std::span(buffer_)));
        return filled_ > 0;
    }

    platform::ByteSource& source_;
    std::array<unsigned char, 65536> buffer_{};
    std::size_t position_ = 0;
    std::size_t filled_ = 0;
    std::uint64_t offset_ = 0;
};

// The fields of one section, up to the next section tag (left unread). Returns the data bytes.
// `header`: record the dump header's fields; `volume`: the volume header's.
std::uint64_t read_fields(Reader& reader, Field (*layout)(int), const char* section,
                          VosDumpSummary* header = nullptr, VosDumpSummary* volume = nullptr) {
    std::uint64_t data = 0;
    while (true) {
        int tag = reader.peek();
        if (tag < 0) {
            reader.truncated(section);
        }
        if (tag <= last_section_tag) {
            return data;
        }
        std::uint64_t at = reader.offset();
        reader.byte(section);
        switch (layout(tag)) {
        case Field::none:
            throw VosDumpError(at, "unknown field tag " + describe_tag(tag) + " in " + section);
        case Field::byte:
            reader.byte(section);
            break;
        case Field::int16:
            reader.int16(section);
            break;
        case Field::int32: {
            std::uint32_t value = reader.int32(section);
            if (header != nullptr && tag == 'v') {
                header->volume_id = value;
            }
            if (volume != nullptr && tag == 'U') {
                volume->update_date = value;
            } else if (volume != nullptr && tag == 'f') {
                volume->file_count = value;
            } else if (volume != nullptr && tag == 'q') {
                volume->max_quota = value;
            }
            break;
        }
        case Field::string: {
            std::string value = reader.string(section);
            if (header != nullptr && tag == 'n') {
                header->volume_name = std::move(value);
            }
            break;
        }
        case Field::int32_array: {
            std::uint16_t count = reader.int16(section);
            if (count > max_array) {
                throw VosDumpError(at, "an array of " + std::to_string(count) + " entries in " +
                                           section + " (at most " + std::to_string(max_array) +
                                           ")");
            }
            reader.skip(std::uint64_t{count} * 4, section);
            break;
        }
        case Field::acl:
            reader.skip(acl_bytes, "a directory's access list");
            break;
        case Field::data32: {
            std::uint32_t size = reader.int32(section);
            reader.skip(size, "a vnode's data");
            data += size;
            break;
        }
        case Field::data64: {
            std::uint64_t high = reader.int32(section);
            std::uint64_t size = (high << 32) | reader.int32(section);
            reader.skip(size, "a vnode's data");
            data += size;
            break;
        }
        }
    }
}

Field dump_header_field(int tag) {
    switch (tag) {
    case 'v':
        return Field::int32;
    case 'n':
        return Field::string;
    case 't':
        return Field::int32_array;
    default:
        return Field::none;
    }
}

} // namespace

VosDumpSummary read_vos_dump(platform::ByteSource& source) {
    Reader reader(source);
    VosDumpSummary summary;
    if (reader.peek() < 0) {
        reader.fail("the dump is empty");
    }
    if (reader.byte("the dump header") != dump_header_tag) {
        throw VosDumpError(0, "not a volume dump: it does not start with the dump header tag");
    }
    if (reader.int32("the dump header") != dump_begin_magic) {
        throw VosDumpError(1, "not a volume dump: wrong dump header magic");
    }
    reader.int32("the dump header"); // the format version
    read_fields(reader, dump_header_field, "the dump header", &summary);
    if (summary.volume_id == 0) {
        reader.fail("the dump header names no volume id");
    }
    if (reader.peek() != volume_header_tag) {
        reader.fail("expected the volume header after the dump header");
    }
    bool first_volume_header = true;
    while (true) {
        std::uint64_t at = reader.offset();
        int tag = reader.byte("the dump (no end marker)");
        if (tag == volume_header_tag) {
            read_fields(reader, volume_header_field, "a volume header", nullptr,
                        first_volume_header ? &summary : nullptr);
            first_volume_header = false;
        } else if (tag == vnode_tag) {
            reader.int32("a vnode"); // its number
            reader.int32("a vnode"); // its uniquifier
            summary.data_bytes += read_fields(reader, vnode_field, "a vnode");
            ++summary.vnodes;
        } else if (tag == dump_end_tag) {
            if (reader.int32("the end marker") != dump_end_magic) {
                throw VosDumpError(at, "wrong end marker magic");
            }
            break;
        } else {
            throw VosDumpError(at, "expected a volume header, a vnode or the end marker, found " +
                                       describe_tag(tag));
        }
    }
    if (reader.peek() >= 0) {
        reader.fail("bytes after the end marker");
    }
    summary.bytes = reader.offset();
    return summary;
}

void DumpEndMarker::update(std::string_view chunk) {
    for (char c : chunk.substr(chunk.size() > 5 ? chunk.size() - 5 : 0)) {
        std::memmove(tail_, tail_ + 1, 4);
        tail_[4] = static_cast<unsigned char>(c);
    }
    bytes_ += chunk.size();
}

bool DumpEndMarker::complete() const {
    // A dump is at least its header, volume header and end tag: far more than 5 bytes.
    return bytes_ >= 5 && tail_[0] == dump_end_tag && tail_[1] == 0x3A && tail_[2] == 0x21 &&
           tail_[3] == 0x4B && tail_[4] == 0x6E;
}

} // namespace offstage::sources::afs
