#include "manifests/usr_merge_aliases.hpp"

#include <sys/stat.h>
#include <unistd.h>

namespace offstage::manifests {

UsrMergeAliases UsrMergeAliases::detect(const std::filesystem::path& root) {
    std::vector<std::string> names;
    for (const char* name : {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "libo32"}) {
        std::string link = (root / name).string();
        char target[256];
        ssize_t n = ::readlink(link.c_str(), target, sizeof target);
        if (n <= 0 || static_cast<std::size_t>(n) >= sizeof target) {
            continue; // not a symlink (a real directory, or absent): not merged
        }
        std::string_view text(target, static_cast<std::size_t>(n));
        while (text.size() > 1 && text.back() == '/') {
            text.remove_suffix(1);
        }
        if (text == std::string("usr/") + name || text == std::string("/usr/") + name) {
            names.emplace_back(name);
        }
    }
    return UsrMergeAliases(std::move(names));
}

bool UsrMergeAliases::is_aliased(std::string_view path) const {
    for (const std::string& name : names_) {
        if (path.size() > name.size() + 2 && path[0] == '/' &&
            path.substr(1, name.size()) == name && path[name.size() + 1] == '/') {
            return true;
        }
    }
    return false;
}

std::string UsrMergeAliases::canonical(std::string_view path) const {
    if (is_aliased(path)) {
        return "/usr" + std::string(path);
    }
    return std::string(path);
}

} // namespace offstage::manifests
