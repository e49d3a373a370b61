// dpkg's diversions, read from ADMINDIR/diversions: where a listed path really lives. A path
// diverted by package P is installed under the diverted-to name for every package except P;
// a local diversion (made by the admin) diverts it for every package.
#pragma once

#include "manifests/usr_merge_aliases.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace offstage::manifests {

struct Diversion {
    std::string from;    // the path as packages list it
    std::string to;      // where other packages' copy is installed
    std::string package; // the diverting package; empty for a local diversion
};

class DiversionTable {
public:
    DiversionTable() = default;

    // Parses dpkg's own format: three lines per diversion (from, to, package or ":" for a local
    // diversion). Paths are canonicalized with `aliases`. Throws std::runtime_error naming
    // `source_name` and the line on a truncated file.
    static DiversionTable parse(std::string_view text, const std::string& source_name,
                                const UsrMergeAliases& aliases);
    // Reads ADMINDIR/diversions; a missing file means no diversions (dpkg creates it lazily).
    static DiversionTable load(const std::filesystem::path& admindir,
                               const UsrMergeAliases& aliases);

    // Where `package`'s copy of the listed (canonical) path is on disk.
    std::string_view location(std::string_view path, std::string_view package) const;
    // The diversion of `path`, or nullptr.
    const Diversion* find(std::string_view path) const;
    const std::vector<Diversion>& diversions() const { return diversions_; }

private:
    std::vector<Diversion> diversions_;
    std::unordered_map<std::string, std::size_t> by_from_;
};

} // namespace offstage::manifests
