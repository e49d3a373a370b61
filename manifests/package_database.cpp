#include "manifests/package_database.hpp"

#include "manifests/dpkg_query_parser.hpp"
#include "platform/child_process.hpp"
#include "platform/system_error.hpp"

#include <algorithm>
#include <set>
#include <sys/stat.h>

namespace offstage::manifests {

namespace {

std::vector<std::string> query_command(const DatabaseLocation& location) {
    return {location.dpkg_query, "--admindir=" + location.admindir.string(), "-W",
            std::string("--showformat=") + DpkgQueryParser::format};
}

// Runs the query, feeding `handler`. dpkg-query's own messages would be localised: force C.
void run_query(const DatabaseLocation& location, DpkgQueryParser::Handler& handler) {
    DpkgQueryParser parser(handler);
    platform::ChildProcess::Options options;
    options.environment = {{"LC_ALL", "C"}};
    platform::ChildProcess::run(
        query_command(location), [&parser](std::string_view chunk) { parser.feed(chunk); },
        options);
    parser.finish();
}

// Maps a listed path to where `package`'s copy is on disk.
class LocationMapper {
public:
    LocationMapper(const UsrMergeAliases& aliases, const DiversionTable& diversions)
        : aliases_(aliases)
        , diversions_(diversions) {}

    // Returns a view valid until the next call.
    std::string_view map(std::string_view listed, std::string_view package) {
        std::string_view path = listed;
        if (aliases_.is_aliased(path)) {
            scratch_ = aliases_.canonical(path);
            path = scratch_;
        }
        if (!diversions_.diversions().empty()) {
            path = diversions_.location(path, package);
        }
        return path;
    }

private:
    const UsrMergeAliases& aliases_;
    const DiversionTable& diversions_;
    std::string scratch_;
};

class DatabaseBuilder : public DpkgQueryParser::Handler {
public:
    DatabaseBuilder(const UsrMergeAliases& aliases, const DiversionTable& diversions,
                    PackageFileSet& files, std::vector<Conffile>& conffiles)
        : mapper_(aliases, diversions)
        , files_(files)
        , conffiles_(conffiles) {}

    void package(std::string_view name, std::string_view status) override {
        package_.assign(name);
        ++packages;
        if (status.size() >= 2 && status[1] == 'c') {
            ++config_files;
        }
    }
    void conffile(const ConffileLine& line) override {
        Conffile entry;
        entry.path = mapper_.map(line.path, package_);
        entry.packages = {package_};
        entry.md5 = line.md5;
        entry.obsolete = line.obsolete;
        entry.remove_on_upgrade = line.remove_on_upgrade;
        conffiles_.push_back(std::move(entry));
    }
    void file(std::string_view path) override {
        std::string_view location = mapper_.map(path, package_);
        files_.add(location);
        if (!wanted_.empty()) {
            auto it = wanted_.find(location);
            if (it != wanted_.end()) {
                std::vector<std::string>& list = owners_[*it];
                if (std::find(list.begin(), list.end(), package_) == list.end()) {
                    list.push_back(package_);
                }
            }
        }
    }

    std::size_t packages = 0;
    std::size_t config_files = 0;
    std::set<std::string, std::less<>> wanted_; // paths whose owners are collected
    std::map<std::string, std::vector<std::string>, std::less<>> owners_;

private:
    LocationMapper mapper_;
    PackageFileSet& files_;
    std::vector<Conffile>& conffiles_;
    std::string package_;
};

} // namespace

PackageDatabase PackageDatabase::load(const DatabaseLocation& location,
                                      const UsrMergeAliases& aliases,
                                      const std::vector<std::string>& owners_wanted) {
    // dpkg-query reads a missing database as an empty one: every file would become a
    // non-package file. A database without its status file is an error, named.
    std::filesystem::path status = location.admindir / "status";
    struct stat info {};
    if (::stat(status.c_str(), &info) != 0) {
        platform::throw_errno("dpkg database " + status.string());
    }
    PackageDatabase database;
    database.diversions_ = DiversionTable::load(location.admindir, aliases);
    DatabaseBuilder builder(aliases, database.diversions_, database.files_, database.conffiles_);
    builder.wanted_.insert(owners_wanted.begin(), owners_wanted.end());
    run_query(location, builder);
    database.owners_ = std::move(builder.owners_);
    // A diverted-to path that exists belongs to a package (the diverted copy), even when no
    // installed package lists the original name any more.
    for (const Diversion& diversion : database.diversions_.diversions()) {
        database.files_.add(diversion.to);
    }
    database.files_.seal();
    database.package_count_ = builder.packages;
    database.config_files_count_ = builder.config_files;

    // One entry per path: Multi-Arch: same packages list the same conffile once per arch.
    std::vector<Conffile>& list = database.conffiles_;
    std::stable_sort(list.begin(), list.end(),
                     [](const Conffile& a, const Conffile& b) { return a.path < b.path; });
    std::vector<Conffile> merged;
    for (Conffile& entry : list) {
        if (!merged.empty() && merged.back().path == entry.path) {
            Conffile& kept = merged.back();
            kept.packages.push_back(entry.packages.front());
            // A conffile still current for one owner is not obsolete.
            kept.obsolete = kept.obsolete && entry.obsolete;
            kept.remove_on_upgrade = kept.remove_on_upgrade || entry.remove_on_upgrade;
        } else {
            merged.push_back(std::move(entry));
        }
    }
    list = std::move(merged);
    return database;
}

void PackageDatabase::assess_conffiles(const std::filesystem::path& root) {
    RootDirectory directory(root);
    for (Conffile& conffile : conffiles_) {
        conffile.assess(directory);
    }
}

const Conffile* PackageDatabase::find_conffile(std::string_view path) const {
    auto it = std::lower_bound(
        conffiles_.begin(), conffiles_.end(), path,
        [](const Conffile& conffile, std::string_view key) { return conffile.path < key; });
    return it != conffiles_.end() && it->path == path ? &*it : nullptr;
}

std::vector<std::string> PackageDatabase::owners(std::string_view path) const {
    auto it = owners_.find(path);
    return it == owners_.end() ? std::vector<std::string>() : it->second;
}

} // namespace offstage::manifests
