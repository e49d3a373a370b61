// usrmerge aliasing as the scanned root has it: on a merged system /bin is a symlink to usr/bin
// (likewise /sbin, /lib*), so the database's /bin/x is the walked /usr/bin/x. Detected from the
// root, never assumed; canonical() maps any path to the one name the walk reports.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::manifests {

class UsrMergeAliases {
public:
    // No aliases: paths map to themselves.
    UsrMergeAliases() = default;
    // Looks at ROOT/bin, ROOT/sbin, ROOT/lib, ROOT/lib32, ROOT/lib64, ROOT/libx32, ROOT/libo32:
    // each that is a symlink to "usr/NAME" or "/usr/NAME" is an alias.
    static UsrMergeAliases detect(const std::filesystem::path& root);
    // For tests and explicit setups: `names` like {"bin", "lib"}.
    explicit UsrMergeAliases(std::vector<std::string> names)
        : names_(std::move(names)) {}

    // "/bin/x" -> "/usr/bin/x" when /bin is an alias; the alias itself ("/bin") and every other
    // path stay as they are.
    std::string canonical(std::string_view path) const;
    // True when canonical(path) would change it (saves a copy on the hot path).
    bool is_aliased(std::string_view path) const;
    const std::vector<std::string>& names() const { return names_; }

private:
    std::vector<std::string> names_;
};

} // namespace offstage::manifests
