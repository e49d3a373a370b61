// ucf's record of the configuration files it manages (ucf(1), ucfr(1)): ROOT/var/lib/ucf/registry
// names each file and its package, ROOT/var/lib/ucf/hashfile the md5 of the version ucf last
// installed. Maintainer scripts generate these files, so they are expected; a corrupt line is an
// error naming FILE:LINE. No registry at all is normal (not every system has ucf).
#pragma once

#include "manifests/usr_merge_aliases.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace offstage::manifests {

struct UcfFile {
    std::string path;         // canonical (usrmerge)
    std::string package;      // the registering package
    std::string registration; // "REGISTRY:LINE", for `policy explain`
    std::string md5;          // from the hashfile: what ucf installed; empty when not recorded
};

class UcfRegistry {
public:
    UcfRegistry() = default;

    // `registry`: lines "PACKAGE<whitespace>PATH" (ucfr writes "PKG \t PATH"); the path is the
    // rest of the line and may contain spaces. `hashfile`: md5sum(1) lines "MD5  PATH" (a
    // leading '\' marks a path with '\\' and '\n' escapes). Blank lines are skipped. Throws
    // std::runtime_error "FILE:LINE: ..." on a malformed line.
    static UcfRegistry parse(std::string_view registry, const std::string& registry_name,
                             std::string_view hashfile, const std::string& hashfile_name,
                             const UsrMergeAliases& aliases);
    // Reads ROOT/var/lib/ucf/registry and ROOT/var/lib/ucf/hashfile; either may be missing.
    static UcfRegistry load(const std::filesystem::path& root, const UsrMergeAliases& aliases);

    // The registered file at `path` (canonical), or nullptr.
    const UcfFile* find(std::string_view path) const;
    // In registry order, one entry per path (a later registration replaces an earlier one, as
    // ucfr's own replace does).
    const std::vector<UcfFile>& files() const { return files_; }

private:
    std::vector<UcfFile> files_;
    std::unordered_map<std::string, std::size_t> by_path_;
};

} // namespace offstage::manifests
