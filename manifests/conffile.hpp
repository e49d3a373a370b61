// A conffile as the dpkg database records it, and its state on disk found by comparing the
// file's md5 with the recorded hash. Every conffile belongs in the backup set: the admins may
// have edited it, and a package in config-files state (removed, not purged) still owns it.
#pragma once

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
};

// "unchanged" | "modified" | "missing" | "obsolete" | "new"
std::string_view to_string(ConffileState state);

struct Conffile {
    std::string path;                  // where it is on disk (canonical: usrmerge, diversions)
    std::vector<std::string> packages; // owners (several for Multi-Arch: same)
    std::string md5;                   // recorded hash, or "newconffile"
    bool obsolete = false;
    bool remove_on_upgrade = false; // dpkg removes it on the next upgrade
    ConffileState state = ConffileState::unchanged;

    // Sets `state` from the file at ROOT/path. The last component is never followed: a symlink
    // where a conffile should be counts as modified (and cannot lead out of ROOT).
    void assess(const std::filesystem::path& root);

    // The md5 of a file's content as 32 lowercase hex digits; throws std::system_error naming
    // the file.
    static std::string md5_of_file(int fd, const std::string& name);
};

} // namespace offstage::manifests
