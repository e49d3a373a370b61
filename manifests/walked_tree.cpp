#include "manifests/walked_tree.hpp"

#include <stdexcept>
#include <sys/stat.h>

namespace offstage::manifests {

std::string_view to_string(EntryType type) {
    switch (type) {
    case EntryType::regular:
        return "file";
    case EntryType::symlink:
        return "symlink";
    case EntryType::directory:
        return "directory";
    case EntryType::fifo:
        return "fifo";
    case EntryType::socket:
        return "socket";
    case EntryType::char_device:
        return "char-device";
    case EntryType::block_device:
        return "block-device";
    case EntryType::unknown:
        break;
    }
    return "unknown";
}

EntryType type_from_mode(unsigned int mode) {
    if (S_ISREG(mode)) {
        return EntryType::regular;
    }
    if (S_ISLNK(mode)) {
        return EntryType::symlink;
    }
    if (S_ISDIR(mode)) {
        return EntryType::directory;
    }
    if (S_ISFIFO(mode)) {
        return EntryType::fifo;
    }
    if (S_ISSOCK(mode)) {
        return EntryType::socket;
    }
    if (S_ISCHR(mode)) {
        return EntryType::char_device;
    }
    if (S_ISBLK(mode)) {
        return EntryType::block_device;
    }
    return EntryType::unknown;
}

WalkedTree::Chunk& WalkedTree::last() {
    if (chunks_.empty()) {
        chunks_.emplace_back();
    }
    return chunks_.back();
}

std::uint32_t WalkedTree::add_directory(std::string_view path) {
    Chunk& chunk = last();
    if (chunk.directories.size() >= UINT32_MAX) {
        throw std::length_error("more than 2^32 directories in one walk");
    }
    chunk.directories.push_back(
        {chunk.directory_paths.size(), static_cast<std::uint32_t>(path.size())});
    chunk.directory_paths.append(path);
    return static_cast<std::uint32_t>(chunk.directories.size() - 1);
}

void WalkedTree::add_entry(std::uint32_t directory, std::string_view name, EntryType type) {
    Chunk& chunk = last();
    if (chunk.names.size() + name.size() > UINT32_MAX || name.size() > UINT16_MAX) {
        throw std::length_error("walked names larger than 4 GiB");
    }
    chunk.entries.push_back({directory, static_cast<std::uint32_t>(chunk.names.size()),
                             static_cast<std::uint16_t>(name.size()), type});
    chunk.names.append(name);
    ++size_;
}

void WalkedTree::append(WalkedTree&& other) {
    for (Chunk& chunk : other.chunks_) {
        if (chunk.entries.empty()) {
            continue; // directories alone name no entry: drop them
        }
        chunk.first = size_;
        size_ += chunk.entries.size();
        chunks_.push_back(std::move(chunk));
    }
    other.chunks_.clear();
    other.size_ = 0;
}

std::pair<std::size_t, std::size_t> WalkedTree::locate(std::size_t entry) const {
    // The last chunk whose first entry is at or before `entry`.
    std::size_t low = 0;
    std::size_t high = chunks_.size();
    while (high - low > 1) {
        std::size_t middle = (low + high) / 2;
        if (chunks_[middle].first <= entry) {
            low = middle;
        } else {
            high = middle;
        }
    }
    return {low, entry - chunks_[low].first};
}

void WalkedTree::path(std::size_t entry, std::string& out) const {
    auto [chunk_index, local] = locate(entry);
    const Chunk& chunk = chunks_[chunk_index];
    const Entry& item = chunk.entries[local];
    const Span& directory = chunk.directories[item.directory];
    out.assign(chunk.directory_paths, directory.offset, directory.length);
    if (out.size() != 1) { // the root "/" already ends with the separator
        out += '/';
    }
    out.append(chunk.names, item.name_offset, item.name_length);
}

std::size_t WalkedTree::memory_bytes() const {
    std::size_t bytes = chunks_.capacity() * sizeof(Chunk);
    for (const Chunk& chunk : chunks_) {
        bytes += chunk.names.capacity() + chunk.directory_paths.capacity() +
                 chunk.entries.capacity() * sizeof(Entry) +
                 chunk.directories.capacity() * sizeof(Span);
    }
    return bytes;
}

} // namespace offstage::manifests
