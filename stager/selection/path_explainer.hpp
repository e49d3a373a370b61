// Why one path is or is not in the backup set: its owners in the dpkg database, whether it is a
// conffile and in which state, the rule that decides it (file:line), and the verdict. This is
// what an admin asks when an "annoying files" mail surprises them. It agrees with the scan by
// construction: the walk's own rules say whether the walk reaches the path
// (FilesystemWalk::locate) and the scan's own procedure places it (BackupSelection::decide),
// with one dpkg-query run as the scan's.
#pragma once

#include "manifests/conffile.hpp"
#include "manifests/filesystem_walk.hpp"
#include "manifests/walked_tree.hpp"
#include "policies/policy_set.hpp"
#include "stager/selection/backup_selection.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::selection {

struct Explanation {
    std::string path;       // as asked
    std::string normalised; // lexically normalised: "//", "." and ".." resolved, ".." at the
                            // root staying at the root, no trailing '/'
    std::string canonical;  // after usrmerge aliasing (what the walk reports)
    bool exists = false;
    manifests::EntryType type = manifests::EntryType::unknown;
    manifests::WalkPosition walk;                // where the walk stands with it
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
    Reason reason = Reason::not_walked; // as the scan decides it (BackupSelection::decide)
    std::string verdict; // "conffile", "included", "expected", "expected: alternatives link
                         // (FILE)", "expected: ucf-managed (FILE:LINE)", "annoying",
                         // "excluded", "package file", "not in the set: ..." (directories,
                         // specials, paths the walk never reaches, missing paths)
};

class PathExplainer {
public:
    // `paths` are absolute paths as seen from the root, normalised lexically (normalise()).
    // Nothing outside the root is ever opened or stat'ed for them.
    static std::vector<Explanation> explain(const SelectionInput& input,
                                            const policies::PolicySet& policies,
                                            const std::vector<std::string>& paths);

    // "/a/./b//c/../d/" -> "/a/b/d"; ".." above the root stays at the root ("/../etc" is
    // "/etc"), as the kernel resolves it. `path` must be absolute.
    static std::string normalise(std::string_view path);
};

} // namespace offstage::selection
