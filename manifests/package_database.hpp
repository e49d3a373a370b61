// What the dpkg database says is installed, read through `dpkg-query` run as a child process
// (never by parsing ADMINDIR/info): the set of package files and the conffiles, mapped to where
// they are on disk under the scanned root (usrmerge aliasing, diversions).
#pragma once

#include "manifests/conffile.hpp"
#include "manifests/diversion_table.hpp"
#include "manifests/package_file_set.hpp"
#include "manifests/usr_merge_aliases.hpp"

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace offstage::manifests {

struct DatabaseLocation {
    std::filesystem::path root = "/";                 // the filesystem the database describes
    std::filesystem::path admindir = "/var/lib/dpkg"; // the database (dpkg --admindir)
    std::string dpkg_query = "/usr/bin/dpkg-query";   // absolute: children get no PATH search
};

class PackageDatabase {
public:
    // Runs dpkg-query once for every package's files and conffiles and reads the diversions.
    // Conffile states are not assessed yet (see assess_conffiles). For `policy explain`, the
    // same run also collects the packages listing each of `owners_wanted` (canonical, on-disk
    // paths). Throws platform::ChildProcessError naming the command, or std::runtime_error for
    // bad output.
    static PackageDatabase load(const DatabaseLocation& location, const UsrMergeAliases& aliases,
                                const std::vector<std::string>& owners_wanted = {});

    // Reads every conffile below the root (never outside it) and sets its state; an unreadable
    // one is left unknown, with the reason (Conffile::assess).
    void assess_conffiles(const std::filesystem::path& root);

    // The packages listing `path`, one of the load's `owners_wanted`, in database order.
    std::vector<std::string> owners(std::string_view path) const;

    const PackageFileSet& files() const { return files_; }
    // Frees the file set and the owners, which only classification reads: a run holds the
    // database's conffiles through all its sources, and the set is the largest part of it.
    void release_files() {
        files_ = PackageFileSet();
        owners_.clear();
    }
    // Sorted by path, one entry per path.
    const std::vector<Conffile>& conffiles() const { return conffiles_; }
    const Conffile* find_conffile(std::string_view path) const;
    const DiversionTable& diversions() const { return diversions_; }
    std::size_t package_count() const { return package_count_; }
    std::size_t config_files_count() const { return config_files_count_; } // "rc" packages

private:
    PackageFileSet files_;
    std::vector<Conffile> conffiles_;
    DiversionTable diversions_;
    std::size_t package_count_ = 0;
    std::size_t config_files_count_ = 0;
    std::map<std::string, std::vector<std::string>, std::less<>> owners_;
};

} // namespace offstage::manifests
