// The files Debian's own tools generate and record in databases of their own, which a policy
// file cannot read: the links of dpkg's alternatives database and the files ucf's registry
// names. A path one of them names is expected (when no rule decides it), with a description of
// which record says so; the descriptions stay valid as long as this object.
#pragma once

#include "manifests/alternatives_database.hpp"
#include "manifests/ucf_registry.hpp"
#include "manifests/usr_merge_aliases.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::selection {

class GeneratedState {
public:
    GeneratedState() = default;
    // ADMINDIR/alternatives and ROOT/var/lib/ucf/{registry,hashfile}. Throws naming FILE:LINE
    // when one of them is corrupt (like a corrupt diversions file: a scan that silently
    // ignored it would report hundreds of links as annoying).
    static GeneratedState load(const std::filesystem::path& root,
                               const std::filesystem::path& admindir,
                               const manifests::UsrMergeAliases& aliases);
    GeneratedState(manifests::AlternativesDatabase alternatives, manifests::UcfRegistry ucf);

    // "alternatives link (ADMINDIR/alternatives/NAME)" or "ucf-managed (REGISTRY:LINE)" for a
    // path (canonical) one of the databases names, or nullptr.
    const std::string* expected_by(std::string_view path) const;

    const manifests::AlternativesDatabase& alternatives() const { return alternatives_; }
    const manifests::UcfRegistry& ucf() const { return ucf_; }

private:
    void describe();

    manifests::AlternativesDatabase alternatives_;
    manifests::UcfRegistry ucf_;
    std::vector<std::string> alternative_descriptions_; // parallel to alternatives()
    std::vector<std::string> ucf_descriptions_;         // parallel to ucf().files()
};

} // namespace offstage::selection
