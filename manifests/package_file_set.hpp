// The set of paths the dpkg database installs, stored compactly (one byte arena, 8 bytes of
// index per path) so that a few hundred thousand paths cost a few MB. Byte-order comparison.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::manifests {

class PackageFileSet {
public:
    // Adds a path (raw bytes). Call seal() once after the last add and before lookups.
    void add(std::string_view path);
    // Sorts in byte order and drops duplicates (Multi-Arch: same packages list paths twice).
    void seal();

    bool contains(std::string_view path) const;
    std::size_t size() const { return entries_.size(); }
    // The i-th path in byte order (after seal()).
    std::string_view operator[](std::size_t i) const {
        return {arena_.data() + entries_[i].offset, entries_[i].length};
    }
    std::size_t memory_bytes() const {
        return arena_.capacity() + entries_.capacity() * sizeof(Entry);
    }

private:
    struct Entry {
        std::uint32_t offset;
        std::uint32_t length;
    };
    std::string_view view(const Entry& entry) const {
        return {arena_.data() + entry.offset, entry.length};
    }
    std::string arena_;
    std::vector<Entry> entries_;
};

} // namespace offstage::manifests
