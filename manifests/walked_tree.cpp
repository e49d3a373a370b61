#include "manifests/walked_tree.hpp"

#include <stdexcept>

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

std::uint32_t WalkedTree::add_directory(std::string_view path) {
    if (directories_.size() >= UINT32_MAX) {
        throw std::length_error("more than 2^32 directories in one walk");
    }
    directories_.push_back({directory_paths_.size(), static_cast<std::uint32_t>(path.size())});
    directory_paths_.append(path);
    return static_cast<std::uint32_t>(directories_.size() - 1);
}

void WalkedTree::add_entry(std::uint32_t directory, std::string_view name, EntryType type) {
    if (names_.size() + name.size() > UINT32_MAX || name.size() > UINT16_MAX) {
        throw std::length_error("walked names larger than 4 GiB");
    }
    entries_.push_back({directory, static_cast<std::uint32_t>(names_.size()),
                        static_cast<std::uint16_t>(name.size()), type});
    names_.append(name);
}

void WalkedTree::path(std::size_t entry, std::string& out) const {
    std::string_view directory = directory_path(entries_[entry].directory);
    out.assign(directory);
    if (out.size() != 1) { // the root "/" already ends with the separator
        out += '/';
    }
    out.append(name(entry));
}

} // namespace offstage::manifests
