// The set of paths the dpkg database installs, stored compactly (one byte arena, 8 bytes of
// entry and about 8 bytes of hash table per path) so that a few hundred thousand paths cost a
// few MB. Membership is exact byte equality, one hash and usually one comparison per lookup.
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
    // Drops duplicates (Multi-Arch: same packages list paths twice) and builds the hash index.
    void seal();

    bool contains(std::string_view path) const;
    std::size_t size() const { return entries_.size(); }
    // The i-th distinct path, in the order first added (after seal()).
    std::string_view operator[](std::size_t i) const {
        return {arena_.data() + entries_[i].offset, entries_[i].length};
    }
    std::size_t memory_bytes() const {
        return arena_.capacity() + entries_.capacity() * sizeof(Entry) +
               table_.capacity() * sizeof(std::uint32_t);
    }

private:
    struct Entry {
        std::uint32_t offset;
        std::uint32_t length;
    };
    std::string_view view(const Entry& entry) const {
        return {arena_.data() + entry.offset, entry.length};
    }
    // Open addressing, linear probing; slots hold entry index + 1, 0 is empty.
    std::size_t slot_of(std::string_view path) const;
    std::string arena_;
    std::vector<Entry> entries_;
    std::vector<std::uint32_t> table_;
};

} // namespace offstage::manifests
