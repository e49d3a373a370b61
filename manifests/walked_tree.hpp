// The non-directory entries one filesystem walk found, stored compactly (per chunk a directory
// table and one name arena; 12 bytes of index per entry) in byte order of their full paths, so
// that hundreds of thousands of paths cost a few MB and need no sorting afterwards. A parallel
// walk's pieces are joined by moving their chunks, never by copying them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::manifests {

enum class EntryType : std::uint8_t {
    regular,
    symlink,
    directory,
    fifo,
    socket,
    char_device,
    block_device,
    unknown,
};

// "file" | "symlink" | "directory" | "fifo" | "socket" | "char-device" | "block-device" | ...
std::string_view to_string(EntryType type);
// The type of an st_mode from lstat/fstatat.
EntryType type_from_mode(unsigned int st_mode);

class WalkedTree {
public:
    // Records a directory by its full path; returns its index for add_entry() (valid until the
    // next append()).
    std::uint32_t add_directory(std::string_view path);
    void add_entry(std::uint32_t directory, std::string_view name, EntryType type);
    // Moves every directory and entry of `other` after ours.
    void append(WalkedTree&& other);

    std::size_t size() const { return size_; }
    EntryType type(std::size_t entry) const {
        auto [chunk, local] = locate(entry);
        return chunks_[chunk].entries[local].type;
    }
    // Writes the full path of `entry` into `out` (replacing its content).
    void path(std::size_t entry, std::string& out) const;
    std::string path(std::size_t entry) const {
        std::string out;
        path(entry, out);
        return out;
    }
    std::size_t memory_bytes() const;

private:
    struct Entry {
        std::uint32_t directory; // in the same chunk
        std::uint32_t name_offset;
        std::uint16_t name_length; // NAME_MAX is 255
        EntryType type;
    };
    struct Span {
        std::uint64_t offset;
        std::uint32_t length;
    };
    struct Chunk {
        std::size_t first = 0; // global index of entries[0]
        std::string names;
        std::string directory_paths;
        std::vector<Entry> entries;
        std::vector<Span> directories;
    };
    std::pair<std::size_t, std::size_t> locate(std::size_t entry) const;
    Chunk& last();

    std::vector<Chunk> chunks_;
    std::size_t size_ = 0;
};

} // namespace offstage::manifests
