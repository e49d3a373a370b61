#include "stager/archive/entry_metadata.hpp"

#include "platform/printable_name.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <tuple>
#include <unistd.h>

namespace offstage::archive {

namespace {

// Records a failed call (result != 0) as "what: error"; `what` is only built on failure, after
// errno is saved. Returns whether the call succeeded.
template <typename What>
bool check(int result, std::vector<std::string>& failures, What what) {
    if (result == 0) {
        return true;
    }
    const int error = errno;
    failures.push_back(what() + ": " + std::strerror(error));
    return false;
}

template <typename Id, typename Lookup>
Id cached_lookup(std::unordered_map<std::string, Id>& cache, std::size_t max_cached,
                 const char* name, Id stored, Lookup lookup) {
    if (name == nullptr || *name == '\0') {
        return stored;
    }
    if (auto it = cache.find(name); it != cache.end()) {
        return it->second;
    }
    Id id = stored;
    lookup(name, id);
    if (cache.size() < max_cached) {
        cache.emplace(name, id);
    }
    return id;
}

// One entry of the kernel's POSIX ACL xattr format (linux/posix_acl_xattr.h), little-endian.
struct AclEntry {
    std::uint16_t tag;
    std::uint16_t perm;
    std::uint32_t id;
};

// libarchive's ACL of `type` as the value of system.posix_acl_access or _default: a version
// word, then the entries sorted by tag and id as the kernel requires. Empty when the entry has
// none beyond the mode bits. Named users and groups are looked up by name first, like owners.
std::string posix_acl_xattr(archive_entry* entry, int type, OwnerNames& names,
                            std::vector<std::string>& not_restorable) {
    if (archive_entry_acl_reset(entry, type) <= (type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? 3 : 0)) {
        return {};
    }
    std::vector<AclEntry> entries;
    int entry_type = 0;
    int permset = 0;
    int tag = 0;
    int id = 0;
    const char* name = nullptr;
    while (archive_entry_acl_next(entry, type, &entry_type, &permset, &tag, &id, &name) ==
           ARCHIVE_OK) {
        AclEntry acl{0, static_cast<std::uint16_t>(permset & 7),
                     static_cast<std::uint32_t>(ACL_UNDEFINED_ID)};
        switch (tag) {
        case ARCHIVE_ENTRY_ACL_USER_OBJ:
            acl.tag = ACL_USER_OBJ;
            break;
        case ARCHIVE_ENTRY_ACL_USER:
            acl.tag = ACL_USER;
            acl.id = names.uid(name, static_cast<uid_t>(id));
            break;
        case ARCHIVE_ENTRY_ACL_GROUP_OBJ:
            acl.tag = ACL_GROUP_OBJ;
            break;
        case ARCHIVE_ENTRY_ACL_GROUP:
            acl.tag = ACL_GROUP;
            acl.id = names.gid(name, static_cast<gid_t>(id));
            break;
        case ARCHIVE_ENTRY_ACL_MASK:
            acl.tag = ACL_MASK;
            break;
        case ARCHIVE_ENTRY_ACL_OTHER:
            acl.tag = ACL_OTHER;
            break;
        default:
            not_restorable.push_back("an ACL entry that is not POSIX (NFSv4)");
            return {};
        }
        entries.push_back(acl);
    }
    std::sort(entries.begin(), entries.end(), [](const AclEntry& a, const AclEntry& b) {
        return std::tie(a.tag, a.id) < std::tie(b.tag, b.id);
    });
    std::string value;
    auto put = [&](std::uint32_t number, int bytes) {
        for (int i = 0; i < bytes; ++i) {
            value += static_cast<char>((number >> (8 * i)) & 0xff);
        }
    };
    put(POSIX_ACL_XATTR_VERSION, 4);
    for (const AclEntry& acl : entries) {
        put(acl.tag, 2);
        put(acl.perm, 2);
        put(acl.id, 4);
    }
    return value;
}

std::string owner_text(const EntryMetadata& metadata) {
    return "owner " + std::to_string(metadata.uid) + ":" + std::to_string(metadata.gid);
}

std::string xattr_text(const std::string& name) {
    return "extended attribute '" + platform::printable_name(name) + "'";
}

std::string octal_mode(mode_t mode) {
    char text[16];
    std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode));
    return text;
}

void set_acls(const EntryMetadata& metadata, std::vector<std::string>& failures, auto set_xattr) {
    if (!metadata.access_acl.empty()) {
        check(set_xattr("system.posix_acl_access", metadata.access_acl), failures,
              [] { return std::string("access ACL"); });
    }
    if (!metadata.default_acl.empty()) {
        check(set_xattr("system.posix_acl_default", metadata.default_acl), failures,
              [] { return std::string("default ACL"); });
    }
}

} // namespace

uid_t OwnerNames::uid(const char* name, uid_t stored) {
    return cached_lookup(users_, max_cached, name, stored, [](const char* user, uid_t& id) {
        passwd entry{};
        passwd* found = nullptr;
        std::vector<char> buffer(16384);
        if (::getpwnam_r(user, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
            id = found->pw_uid;
        }
    });
}

gid_t OwnerNames::gid(const char* name, gid_t stored) {
    return cached_lookup(groups_, max_cached, name, stored, [](const char* group, gid_t& id) {
        struct group entry {};
        struct group* found = nullptr;
        std::vector<char> buffer(65536);
        if (::getgrnam_r(group, &entry, buffer.data(), buffer.size(), &found) == 0 && found) {
            id = found->gr_gid;
        }
    });
}

EntryMetadata read_entry_metadata(archive_entry* entry, bool restore_owners, OwnerNames& names) {
    EntryMetadata metadata;
    metadata.permissions = archive_entry_perm(entry) & 07777;
    const auto stored_uid = static_cast<uid_t>(archive_entry_uid(entry));
    const auto stored_gid = static_cast<gid_t>(archive_entry_gid(entry));
    if (restore_owners) {
        metadata.set_owner = true;
        metadata.uid = names.uid(archive_entry_uname(entry), stored_uid);
        metadata.gid = names.gid(archive_entry_gname(entry), stored_gid);
    } else {
        // Set-id bits on a file owned by someone else than the archive says would hand out
        // what the archive never granted.
        if (stored_uid != ::geteuid()) {
            metadata.permissions &= ~static_cast<mode_t>(S_ISUID);
        }
        if (stored_gid != ::getegid()) {
            metadata.permissions &= ~static_cast<mode_t>(S_ISGID);
        }
    }
    if (archive_entry_atime_is_set(entry)) {
        metadata.times[0] = {archive_entry_atime(entry), archive_entry_atime_nsec(entry)};
    }
    if (archive_entry_mtime_is_set(entry)) {
        metadata.times[1] = {archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)};
    }
    archive_entry_xattr_reset(entry);
    const char* name = nullptr;
    const void* value = nullptr;
    std::size_t size = 0;
    while (archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK) {
        if (name != nullptr) {
            metadata.xattrs.emplace_back(name, std::string(static_cast<const char*>(value), size));
        }
    }
    metadata.access_acl =
        posix_acl_xattr(entry, ARCHIVE_ENTRY_ACL_TYPE_ACCESS, names, metadata.not_restorable);
    metadata.default_acl =
        posix_acl_xattr(entry, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT, names, metadata.not_restorable);
    if ((archive_entry_acl_types(entry) & ARCHIVE_ENTRY_ACL_TYPE_NFS4) != 0) {
        metadata.not_restorable.push_back("an NFSv4 ACL");
    }
    return metadata;
}

void apply_metadata(int fd, const EntryMetadata& metadata, std::vector<std::string>& failures) {
    mode_t permissions = metadata.permissions;
    if (metadata.set_owner && !check(::fchown(fd, metadata.uid, metadata.gid), failures,
                                     [&] { return owner_text(metadata); })) {
        permissions &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
    }
    check(::fchmod(fd, permissions), failures, [&] { return "mode " + octal_mode(permissions); });
    for (const auto& xattr : metadata.xattrs) {
        check(::fsetxattr(fd, xattr.first.c_str(), xattr.second.data(), xattr.second.size(), 0),
              failures, [&] { return xattr_text(xattr.first); });
    }
    set_acls(metadata, failures, [&](const char* name, const std::string& value) {
        return ::fsetxattr(fd, name, value.data(), value.size(), 0);
    });
    check(::futimens(fd, metadata.times), failures, [] { return std::string("times"); });
}

void apply_metadata_by_path_fd(int path_fd, bool is_symlink, const EntryMetadata& metadata,
                               std::vector<std::string>& failures) {
    const std::string self = "/proc/self/fd/" + std::to_string(path_fd);
    mode_t permissions = metadata.permissions;
    if (metadata.set_owner &&
        !check(::fchownat(path_fd, "", metadata.uid, metadata.gid, AT_EMPTY_PATH), failures,
               [&] { return owner_text(metadata); })) {
        permissions &= ~static_cast<mode_t>(S_ISUID | S_ISGID);
    }
    if (!is_symlink) {
        check(::chmod(self.c_str(), permissions), failures,
              [&] { return "mode " + octal_mode(permissions); });
    }
    for (const auto& xattr : metadata.xattrs) {
        check(::setxattr(self.c_str(), xattr.first.c_str(), xattr.second.data(),
                         xattr.second.size(), 0),
              failures, [&] { return xattr_text(xattr.first); });
    }
    if (!is_symlink) {
        set_acls(metadata, failures, [&](const char* name, const std::string& value) {
            return ::setxattr(self.c_str(), name, value.data(), value.size(), 0);
        });
    }
    // AT_EMPTY_PATH needs no /proc (a restore into a bare chroot); older kernels refuse it.
    int timed = ::utimensat(path_fd, "", metadata.times, AT_EMPTY_PATH);
    if (timed != 0 && errno == EINVAL) {
        timed = ::utimensat(AT_FDCWD, self.c_str(), metadata.times, 0);
    }
    check(timed, failures, [] { return std::string("times"); });
}

} // namespace offstage::archive
