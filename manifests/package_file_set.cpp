#include "manifests/package_file_set.hpp"

#include <functional>
#include <stdexcept>

namespace offstage::manifests {

void PackageFileSet::add(std::string_view path) {
    if (arena_.size() + path.size() > UINT32_MAX) {
        throw std::length_error("package file list larger than 4 GiB");
    }
    entries_.push_back(
        {static_cast<std::uint32_t>(arena_.size()), static_cast<std::uint32_t>(path.size())});
    arena_.append(path);
}

std::size_t PackageFileSet::slot_of(std::string_view path) const {
    // table_.size() is a power of two: mask instead of modulo.
    return std::hash<std::string_view>{}(path) & (table_.size() - 1);
}

void PackageFileSet::seal() {
    std::size_t capacity = 16;
    while (capacity < entries_.size() * 2) {
        capacity *= 2;
    }
    table_.assign(capacity, 0);
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
        std::string_view path = view(entries_[i]);
        std::size_t slot = slot_of(path);
        bool duplicate = false;
        while (table_[slot] != 0) {
            if (view(entries_[table_[slot] - 1]) == path) {
                duplicate = true;
                break;
            }
            slot = (slot + 1) & (table_.size() - 1);
        }
        if (!duplicate) {
            entries_[kept] = entries_[i];
            table_[slot] = static_cast<std::uint32_t>(++kept);
        }
    }
    entries_.resize(kept);
    entries_.shrink_to_fit();
}

bool PackageFileSet::contains(std::string_view path) const {
    if (table_.empty()) {
        return false;
    }
    for (std::size_t slot = slot_of(path); table_[slot] != 0;
         slot = (slot + 1) & (table_.size() - 1)) {
        if (view(entries_[table_[slot] - 1]) == path) {
            return true;
        }
    }
    return false;
}

} // namespace offstage::manifests
