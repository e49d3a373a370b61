// The non-directory entries one filesystem walk found, stored compactly (a directory table and
// one name arena; 12 bytes of index per entry) in byte order of their full paths, so that
// hundreds of thousands of paths cost a few MB and need no sorting afterwards.
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

class WalkedTree {
public:
    // Records a directory by its full path; returns its index for add_entry().
    std::uint32_t add_directory(std::string_view path);
    void add_entry(std::uint32_t directory, std::string_view name, EntryType type);

    std::size_t size() const { return entries_.size(); }
    EntryType type(std::size_t entry) const { return entries_[entry].type; }
    std::string_view name(std::size_t entry) const {
        return {names_.data() + entries_[entry].name_offset, entries_[entry].name_length};
    }
    std::string_view directory_path(std::uint32_t directory) const {
        return {directory_paths_.data() + directories_[directory].offset,
                directories_[directory].length};
    }
    std::uint32_t directory_of(std::size_t entry) const { return entries_[entry].directory; }
    std::size_t directory_count() const { return directories_.size(); }
    // Writes the full path of `entry` into `out` (replacing its content).
    void path(std::size_t entry, std::string& out) const;
    std::string path(std::size_t entry) const {
        std::string out;
        path(entry, out);
        return out;
    }
    std::size_t memory_bytes() const {
        return names_.capacity() + directory_paths_.capacity() +
               entries_.capacity() * sizeof(Entry) + directories_.capacity() * sizeof(Span);
    }

private:
    struct Entry {
        std::uint32_t directory;
        std::uint32_t name_offset;
        std::uint16_t name_length; // NAME_MAX is 255
        EntryType type;
    };
    struct Span {
        std::uint64_t offset;
        std::uint32_t length;
    };
    std::string names_;
    std::string directory_paths_;
    std::vector<Entry> entries_;
    std::vector<Span> directories_;
};

} // namespace offstage::manifests
