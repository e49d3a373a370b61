// Everything rsync -a promises to carry, read from a directory tree: each entry's relative
// path, type, permission bits, mtime, and the bytes of a file or the target of a symlink.
// Two snapshots are equal exactly when the trees are byte-identical in those respects.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace offstage::e2e {

class TreeSnapshot {
public:
    struct Entry {
        char type = '?'; // 'f' file, 'd' directory, 'l' symlink, 'o' other
        unsigned mode = 0;
        long long mtime = 0; // seconds; rsync -a keeps it (directories included)
        std::string content; // a file's bytes or a symlink's target
        bool operator==(const Entry&) const = default;
    };

    // Reads the tree below `root` without following any symlink. Throws naming the path on
    // an unreadable entry.
    static TreeSnapshot of(const std::filesystem::path& root);

    const std::map<std::string, Entry>& entries() const { return entries_; }
    bool contains(const std::string& relative_path) const {
        return entries_.count(relative_path) != 0;
    }

    // Human-readable differences ("missing: a/b", "content differs: c"), empty when equal.
    // Paths are printed with non-printable bytes escaped.
    std::vector<std::string> differences_to(const TreeSnapshot& other) const;

private:
    std::map<std::string, Entry> entries_;
};

} // namespace offstage::e2e
