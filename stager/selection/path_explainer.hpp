// Why one path is or is not in the backup set: its owners in the dpkg database, whether it is a
// conffile and in which state, the rule that decides it (file:line), and the verdict. This is
// what an admin asks when an "annoying files" mail surprises them; it agrees with
// BackupSelection by construction (the same classification, one path at a time).
#pragma once

#include "manifests/conffile.hpp"
#include "manifests/walked_tree.hpp"
#include "policies/policy_set.hpp"
#include "stager/selection/backup_selection.hpp"

#include <optional>
#include <string>
#include <vector>

namespace offstage::selection {

struct Explanation {
    std::string path;      // as asked
    std::string canonical; // after usrmerge aliasing (what the walk reports)
    bool exists = false;
    manifests::EntryType type = manifests::EntryType::unknown;
    std::vector<std::string> owners;             // packages listing it (after diversions)
    std::string diversion;                       // "diverted from X by P" / "diverts X to Y"
    std::optional<manifests::Conffile> conffile; // with its state
    std::optional<policies::Rule> rule;          // the first matching rule
    // Which generated-state record names it: "alternatives link (ADMINDIR/alternatives/NAME)"
    // or "ucf-managed (ROOT/var/lib/ucf/registry:LINE)"; empty when none does.
    std::string generated;
    // For a ucf-managed file: its package and its state against ucf's hashfile, as for a
    // conffile ("unchanged", "modified", "missing", or "new" when no hash is recorded).
    std::string ucf;
    std::string verdict; // "conffile", "included", "expected", "expected: alternatives link
                         // (FILE)", "expected: ucf-managed (FILE:LINE)", "annoying",
                         // "excluded", "package file", "not in the set: ..." (directories,
                         // specials, paths the walk never enters, missing paths)
};

class PathExplainer {
public:
    // `paths` are absolute paths as seen from the root (a trailing '/' is ignored).
    static std::vector<Explanation> explain(const SelectionInput& input,
                                            const policies::PolicySet& policies,
                                            const std::vector<std::string>& paths);
};

} // namespace offstage::selection
