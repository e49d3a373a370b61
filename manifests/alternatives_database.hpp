// dpkg's alternatives database (update-alternatives --admindir, normally
// /var/lib/dpkg/alternatives): one file per link group naming its master link and slave links.
// Those links are made by maintainer scripts, not shipped; a restore needs them. Parsed exactly
// as update-alternatives reads it (utils/update-alternatives.c); a corrupt file is an error
// naming FILE:LINE, never skipped.
#pragma once

#include "manifests/usr_merge_aliases.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace offstage::manifests {

struct Alternative {
    std::string name;               // the link group (the file's name, /etc/alternatives/NAME)
    std::string file;               // ADMINDIR/NAME, for messages and `policy explain`
    std::vector<std::string> links; // the master link first, then the slave links (canonical)
};

class AlternativesDatabase {
public:
    AlternativesDatabase() = default;

    // Parses one link group's file: "auto|manual", the master link, pairs of slave name / slave
    // link up to an empty line, then the choices (master file, priority, one line per slave,
    // possibly empty) up to an empty line. An empty file is no alternative (update-alternatives
    // treats it so). Links are canonicalized with `aliases`. Throws std::runtime_error
    // "FILE:LINE: ..." on a corrupt file.
    static std::optional<Alternative> parse(std::string_view text, const std::string& name,
                                            const std::string& file,
                                            const UsrMergeAliases& aliases);
    // Reads every file of `directory` as update-alternatives does (all names but "." "..",
    // and "*.dpkg-tmp", its own half-written files). A missing directory means no alternatives.
    static AlternativesDatabase load(const std::filesystem::path& directory,
                                     const UsrMergeAliases& aliases);

    // The link group naming `path` (canonical) as its master or a slave link, or nullptr.
    const Alternative* find_link(std::string_view path) const;
    const std::vector<Alternative>& alternatives() const { return alternatives_; }

private:
    std::vector<Alternative> alternatives_;
    std::unordered_map<std::string, std::size_t> by_link_;
};

} // namespace offstage::manifests
