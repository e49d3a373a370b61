// A conffile as the dpkg database records it, and its state on disk found by comparing the
// file's md5 with the recorded hash. Every conffile belongs in the backup set: the admins may
// have edited it, and a package in config-files state (removed, not purged) still owns it.
#pragma once

#include "manifests/root_directory.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::manifests {

enum class ConffileState {
    unchanged, // the md5 matches the recorded hash
    modified,  // it differs (or the path is no longer a regular file)
    missing,   // the admin deleted it; dpkg keeps it deleted on upgrades
    obsolete,  // present, but the package no longer ships it (dpkg flag "obsolete")
    fresh,     // hash "newconffile": unpacked, package not configured yet, nothing to compare
    unknown,   // it could not be read (e.g. as a user without the right): `error` says why
};

// "unchanged" | "modified" | "missing" | "obsolete" | "new" | "unknown"
std::string_view to_string(ConffileState state);

struct Conffile {
    std::string path;                  // where it is on disk (canonical: usrmerge, diversions)
    std::vector<std::string> packages; // owners (several for Multi-Arch: same)
    std::string md5;                   // recorded hash, or "newconffile"
    bool obsolete = false;
    bool remove_on_upgrade = false; // dpkg removes it on the next upgrade
    ConffileState state = ConffileState::unchanged;
    // When the state is unknown: the call that failed ("open conffile", "read conffile") and
    // its errno. The scan reports it among its problems and goes on, as for any unreadable file.
    std::string failed_call;
    int error = 0;

    // Sets `state` from the file at `path` below the root, resolved inside the root (a symlink
    // above it cannot lead out of it). The last component is never followed: a symlink where a
    // conffile should be counts as modified. A file that cannot be read leaves the state
    // unknown, with the reason; nothing is thrown for it.
    void assess(const RootDirectory& root);
    void assess(const std::filesystem::path& root) { assess(RootDirectory(root)); }

    // The md5 of a file's content as 32 lowercase hex digits; throws std::system_error naming
    // the file.
    static std::string md5_of_file(int fd, const std::string& name);
};

} // namespace offstage::manifests
