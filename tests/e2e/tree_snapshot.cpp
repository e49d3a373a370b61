#include "tests/e2e/tree_snapshot.hpp"

#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdio>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace offstage::e2e {

namespace {

namespace fs = std::filesystem;

TreeSnapshot::Entry read_entry(const fs::path& path) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0) {
        platform::throw_errno("lstat " + path.string());
    }
    TreeSnapshot::Entry entry;
    entry.mode = info.st_mode & 07777U;
    entry.mtime = static_cast<long long>(info.st_mtim.tv_sec);
    if (S_ISREG(info.st_mode)) {
        entry.type = 'f';
        entry.content = test::read_file(path);
    } else if (S_ISDIR(info.st_mode)) {
        entry.type = 'd';
    } else if (S_ISLNK(info.st_mode)) {
        entry.type = 'l';
        entry.content = fs::read_symlink(path).string();
        // A symlink's own mode and mtime are not portable attributes; rsync -a does not
        // promise them.
        entry.mode = 0;
        entry.mtime = 0;
    } else {
        entry.type = 'o';
    }
    return entry;
}

} // namespace

TreeSnapshot TreeSnapshot::of(const fs::path& root) {
    TreeSnapshot snapshot;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
        snapshot.entries_[it->path().lexically_relative(root).string()] = read_entry(it->path());
    }
    return snapshot;
}

std::vector<std::string> TreeSnapshot::differences_to(const TreeSnapshot& other) const {
    std::vector<std::string> found;
    for (const auto& [path, entry] : entries_) {
        auto theirs = other.entries_.find(path);
        if (theirs == other.entries_.end()) {
            found.push_back("missing: " + platform::printable_name(path));
        } else if (entry.type != theirs->second.type) {
            found.push_back("type differs: " + platform::printable_name(path) + " is '" +
                            entry.type + "', copy is '" + theirs->second.type + "'");
        } else if (entry.content != theirs->second.content) {
            found.push_back("content differs: " + platform::printable_name(path) + " (" +
                            std::to_string(entry.content.size()) + " vs " +
                            std::to_string(theirs->second.content.size()) + " bytes)");
        } else if (entry.mode != theirs->second.mode) {
            char modes[64];
            std::snprintf(modes, sizeof modes, " (%04o vs %04o)", entry.mode, theirs->second.mode);
            found.push_back("mode differs: " + platform::printable_name(path) + modes);
        } else if (entry.mtime != theirs->second.mtime) {
            found.push_back("mtime differs: " + platform::printable_name(path));
        }
    }
    for (const auto& [path, entry] : other.entries_) {
        if (entries_.count(path) == 0) {
            found.push_back("unexpected: " + platform::printable_name(path));
        }
    }
    return found;
}

} // namespace offstage::e2e
