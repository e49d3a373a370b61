// Compares chosen paths of two root directories the way a rebuild must reproduce them: type,
// content (bytes, or a symlink's target), owner, group, mode, modification time to the
// nanosecond, and every extended attribute (POSIX ACLs are the system.posix_acl_* ones).
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace offstage::test::fresh {

struct Difference {
    std::string path;
    std::string reason; // "missing", "content", "owner", "mode", "mtime", "xattrs", "type"
};

struct Comparison {
    std::size_t compared = 0;
    std::size_t equal = 0;
    std::vector<Difference> differences;
    // "N compared, N equal, N different (content: 2, mtime: 1)"
    std::string figures() const;
};

Comparison compare_trees(const std::filesystem::path& original,
                         const std::filesystem::path& rebuilt, const std::set<std::string>& paths);

} // namespace offstage::test::fresh
