#include "manifests/package_file_set.hpp"

#include <algorithm>
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

void PackageFileSet::seal() {
    // std::string_view compares with char_traits<char>, which compares as unsigned char:
    // byte order, as the walk and the policy matcher use.
    std::sort(entries_.begin(), entries_.end(),
              [this](const Entry& a, const Entry& b) { return view(a) < view(b); });
    auto last = std::unique(entries_.begin(), entries_.end(),
                            [this](const Entry& a, const Entry& b) { return view(a) == view(b); });
    entries_.erase(last, entries_.end());
    entries_.shrink_to_fit();
}

bool PackageFileSet::contains(std::string_view path) const {
    auto it = std::lower_bound(
        entries_.begin(), entries_.end(), path,
        [this](const Entry& entry, std::string_view key) { return view(entry) < key; });
    return it != entries_.end() && view(*it) == path;
}

} // namespace offstage::manifests
