// What an archive entry says about its file besides the content (owner, mode, times, extended
// attributes, POSIX ACLs), read once from libarchive's entry and applied through a descriptor
// the extractor holds, never through a path that could have been swapped meanwhile.
#pragma once

#include <ctime>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>
#include <unordered_map>
#include <utility>
#include <vector>

struct archive_entry;

namespace offstage::archive {

// Owners by name (as tar restores them: the name on this host wins over the stored id), with a
// bounded cache: an archive repeats the same few names.
class OwnerNames {
public:
    uid_t uid(const char* name, uid_t stored);
    gid_t gid(const char* name, gid_t stored);

private:
    static constexpr std::size_t max_cached = 4096;
    std::unordered_map<std::string, uid_t> users_;
    std::unordered_map<std::string, gid_t> groups_;
};

struct EntryMetadata {
    mode_t permissions = 0; // the 07777 bits; set-id bits dropped when the owner is not restored
    bool set_owner = false;
    uid_t uid = 0;
    gid_t gid = 0;
    timespec times[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}}; // atime, mtime
    std::vector<std::pair<std::string, std::string>> xattrs;
    std::string access_acl;  // the system.posix_acl_access value; empty: the mode says it all
    std::string default_acl; // the system.posix_acl_default value (directories)
    std::vector<std::string> not_restorable; // what this host cannot take (e.g. NFSv4 ACLs)
};

// `restore_owners`: the owner is set (root); otherwise set-id bits are kept only where the
// stored owner is the one extracting (as libarchive does).
EntryMetadata read_entry_metadata(archive_entry* entry, bool restore_owners, OwnerNames& names);

// Applies everything to `fd`, an open regular file or directory: owner, then mode (a chown
// clears set-id bits), extended attributes (security.capability after the chown that would
// clear it), ACLs, times last. What fails is appended to `failures` ("mode 4755: EPERM").
void apply_metadata(int fd, const EntryMetadata& metadata, std::vector<std::string>& failures);

// The same for what cannot be opened for I/O (symlinks, devices, FIFOs): `path_fd` is an O_PATH
// descriptor of it. The owner is set with AT_EMPTY_PATH; the rest through /proc/self/fd/N,
// which the kernel resolves to exactly that inode (a symlink there is not followed). Symlinks
// get no mode and no ACLs (Linux has neither for them).
void apply_metadata_by_path_fd(int path_fd, bool is_symlink, const EntryMetadata& metadata,
                               std::vector<std::string>& failures);

} // namespace offstage::archive
