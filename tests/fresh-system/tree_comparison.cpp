#include "tests/fresh-system/tree_comparison.hpp"

#include "tests/support/temp_dir.hpp"

#include <string>
#include <sys/stat.h>
#include <sys/xattr.h>

namespace offstage::test::fresh {

namespace {

// name -> value of every extended attribute of `path` itself (not followed).
std::map<std::string, std::string> xattrs_of(const std::string& path) {
    std::map<std::string, std::string> result;
    ssize_t size = ::llistxattr(path.c_str(), nullptr, 0);
    if (size <= 0) {
        return result;
    }
    std::string names(static_cast<std::size_t>(size), '\0');
    size = ::llistxattr(path.c_str(), names.data(), names.size());
    if (size <= 0) {
        return result;
    }
    names.resize(static_cast<std::size_t>(size));
    for (std::size_t begin = 0; begin < names.size();) {
        std::string name(names.c_str() + begin);
        begin += name.size() + 1;
        ssize_t length = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
        std::string value(length > 0 ? static_cast<std::size_t>(length) : 0, '\0');
        if (length > 0) {
            length = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
            value.resize(length > 0 ? static_cast<std::size_t>(length) : 0);
        }
        result[name] = value;
    }
    return result;
}

// The first way in which the two entries differ, or "" when they do not.
std::string difference(const std::string& a, const std::string& b) {
    struct stat sa {};
    struct stat sb {};
    if (::lstat(a.c_str(), &sa) != 0) {
        return "missing in the original";
    }
    if (::lstat(b.c_str(), &sb) != 0) {
        return "missing";
    }
    if ((sa.st_mode & S_IFMT) != (sb.st_mode & S_IFMT)) {
        return "type";
    }
    if (S_ISREG(sa.st_mode) && (sa.st_size != sb.st_size || read_file(a) != read_file(b))) {
        return "content";
    }
    if (S_ISLNK(sa.st_mode) &&
        std::filesystem::read_symlink(a) != std::filesystem::read_symlink(b)) {
        return "content";
    }
    if (sa.st_uid != sb.st_uid || sa.st_gid != sb.st_gid) {
        return "owner " + std::to_string(sa.st_uid) + ":" + std::to_string(sa.st_gid) + " -> " +
               std::to_string(sb.st_uid) + ":" + std::to_string(sb.st_gid);
    }
    if ((sa.st_mode & 07777) != (sb.st_mode & 07777) && !S_ISLNK(sa.st_mode)) {
        return "mode";
    }
    if (!S_ISDIR(sa.st_mode) &&
        (sa.st_mtim.tv_sec != sb.st_mtim.tv_sec || sa.st_mtim.tv_nsec != sb.st_mtim.tv_nsec)) {
        return "mtime";
    }
    if (xattrs_of(a) != xattrs_of(b)) {
        return "xattrs";
    }
    return "";
}

} // namespace

std::string Comparison::figures() const {
    std::map<std::string, std::size_t> by_reason;
    for (const Difference& difference : differences) {
        ++by_reason[difference.reason.substr(0, difference.reason.find(' '))];
    }
    std::string text = std::to_string(compared) + " compared, " + std::to_string(equal) +
                       " equal, " + std::to_string(differences.size()) + " different";
    if (!by_reason.empty()) {
        text += " (";
        bool first = true;
        for (const auto& [reason, count] : by_reason) {
            text += (first ? "" : ", ") + reason + ": " + std::to_string(count);
            first = false;
        }
        text += ")";
    }
    return text;
}

Comparison compare_trees(const std::filesystem::path& original,
                         const std::filesystem::path& rebuilt, const std::set<std::string>& paths) {
    Comparison comparison;
    for (const std::string& path : paths) {
        ++comparison.compared;
        std::string reason =
            difference((original / path.substr(1)).string(), (rebuilt / path.substr(1)).string());
        if (reason.empty()) {
            ++comparison.equal;
        } else {
            comparison.differences.push_back({path, reason});
        }
    }
    return comparison;
}

} // namespace offstage::test::fresh
