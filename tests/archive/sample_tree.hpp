// A directory of every kind of thing the archive must carry faithfully (non-UTF-8 and long
// names, symlinks in and out, hardlinks, a sparse file, xattrs, ACLs, modes, mtimes, owners
// when root, a socket to be skipped), and a comparison of it against an extracted copy.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::test {

class SampleTree {
public:
    // Builds the tree under `root` (which must exist).
    explicit SampleTree(const std::filesystem::path& root);

    // Absolute paths of everything to archive, in a good archive order (parents first).
    const std::vector<std::string>& paths() const { return paths_; }
    // paths() as a NUL-separated list, for --from0.
    std::string nul_list() const;
    const std::filesystem::path& root() const { return root_; }

    // Adds GoogleTest failures for every difference between the tree and its copy at
    // `extracted` / <root without its leading '/'>. `check_owners`: compare uid/gid too.
    void expect_restored_at(const std::filesystem::path& extracted, bool check_owners) const;

    static constexpr const char* non_utf8_name = "caf\xe9-\xff\xfe.txt";
    static constexpr std::size_t sparse_size = 64 << 20;

private:
    std::filesystem::path root_;
    std::vector<std::string> paths_;
};

// "getfacl -n --omit-header" of a path (empty string when getfacl fails).
std::string acl_text(const std::filesystem::path& path);

} // namespace offstage::test
