// What a Debian host needs backed up:
//   backup set = (all files - package files - excluded) u conffiles u included
//   annoying   = the non-package files of the set that no rule expects (or includes) and no
//                database of Debian's own tools (alternatives, ucf) names
// computed from one dpkg-query run and one walk (run in parallel), with the reason and the
// deciding rule for every member. Paths are raw bytes; every list is in byte order.
#pragma once

#include "manifests/filesystem_walk.hpp"
#include "manifests/package_database.hpp"
#include "manifests/usr_merge_aliases.hpp"
#include "policies/policy_set.hpp"
#include "stager/selection/generated_state.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::selection {

// Why a path is in the backup set (or, for explain and for the walked entries that are not,
// why not).
enum class Reason : std::uint8_t {
    conffile,     // a conffile of a package: always backed up, with its state
    included,     // an include rule matches (even a package file)
    expected,     // a non-package file an expect rule matches, or (no rule matching) a link
                  // of the alternatives database or a file of ucf's registry
    annoying,     // a non-package file no rule matches: backed up, and reported to the admins
    excluded,     // an exclude rule matches (or the walk prunes a directory above it)
    package_file, // dpkg installs it: not backed up
    special,      // a socket, FIFO or device node: never archived, listed for the admins
    directory,    // a directory: never a member itself; what is below it is decided path by path
    not_walked,   // the walk never lists it (another filesystem, below a symlink, ...)
};

// "conffile" | "included" | "expected" | "annoying" | "excluded" | "package file" |
// "special file" | "directory" | "not walked"
std::string_view to_string(Reason reason);

// How one path is decided, with the first matching rule and, for an expected path no rule
// matches, the generated-state record that expects it.
struct Decision {
    Reason reason = Reason::not_walked;
    const policies::Rule* rule = nullptr;
    const std::string* expected_by = nullptr;
};

struct SelectionInput {
    manifests::DatabaseLocation database;
    // Mount points inside the root to walk besides the root's own filesystem.
    std::vector<std::string> filesystems;
    // Host directories never walked (the staging root).
    std::vector<std::filesystem::path> skip_directories;
};

class BackupSelection {
public:
    // The one procedure that places a path, shared by the scan (for every walked entry and every
    // conffile) and by `offstage policy explain` (for the path asked), so the two cannot
    // disagree. `position` is where the walk stands with the path (FilesystemWalk::locate's
    // rules; the scan's entries are walked, with their type); `conffile` is the database's
    // conffile at the path, assessed, or nullptr.
    static Decision decide(std::string_view path, const manifests::WalkPosition& position,
                           const manifests::Conffile* conffile,
                           const manifests::PackageFileSet& package_files,
                           const GeneratedState& generated, const policies::PolicySet& policies);
    // The walk the scan runs: the input's root, filesystems and skipped directories, pruning the
    // directories an exclude rule decides wholesale. With `pruned_by` (one counter per rule,
    // sized policies.rules().size()), each pruned directory counts for the rule that pruned it
    // (the prune callback runs on several threads: hence atomics; prunes are rare).
    static manifests::WalkOptions
    walk_options(const SelectionInput& input, const policies::PolicySet& policies,
                 std::vector<std::atomic<std::uint64_t>>* pruned_by = nullptr);

    struct Member {
        std::uint32_t index; // into the walked tree, or into conffiles() when from_conffiles
        bool from_conffiles;
        Reason reason;
        const policies::Rule* rule; // the first matching rule, or nullptr
        // For an expected member no rule matches: which generated-state record expects it
        // ("alternatives link (FILE)", "ucf-managed (FILE:LINE)"); otherwise nullptr.
        const std::string* expected_by;
    };
    struct SpecialFile {
        std::uint32_t index; // into the walked tree
        manifests::EntryType type;
    };
    struct Counts {
        std::size_t walked = 0;        // non-directory entries the walk found
        std::size_t package_files = 0; // walked entries dpkg installs (not in the set)
        std::size_t excluded = 0;      // walked entries an exclude rule removes
        std::size_t conffiles = 0, included = 0, expected = 0, annoying = 0; // set members
        std::size_t expected_generated = 0; // of `expected`: by the alternatives or ucf records
    };

    // Runs dpkg-query (and the conffile checks, and reads the alternatives and ucf records) on a
    // second thread while this one walks, then classifies. `policies` must outlive the result
    // (members point at its rules).
    static BackupSelection compute(const SelectionInput& input,
                                   const policies::PolicySet& policies);
    // The classification alone, from parts already computed (conffiles already assessed).
    static BackupSelection classify(manifests::WalkResult walk, manifests::PackageDatabase database,
                                    GeneratedState generated,
                                    const manifests::UsrMergeAliases& aliases,
                                    const policies::PolicySet& policies);

    const std::vector<Member>& members() const { return members_; }
    // The full path of a member (an absolute path as seen from the scanned root).
    void path(const Member& member, std::string& out) const;
    std::string path(const Member& member) const {
        std::string out;
        path(member, out);
        return out;
    }
    const std::vector<SpecialFile>& special_files() const { return specials_; }
    std::string path(const SpecialFile& special) const { return walk_.tree.path(special.index); }
    const std::vector<manifests::Conffile>& conffiles() const { return database_.conffiles(); }
    // What the walk could not read, then the conffiles that could not be read (their state is
    // unknown): reported, never fatal.
    const std::vector<manifests::WalkProblem>& problems() const { return problems_; }
    // How the scan decided the walked entry `index` (into walk().tree).
    Reason decision(std::size_t index) const { return decisions_[index]; }
    const Counts& counts() const { return counts_; }
    // How many walked paths and conffiles each rule decided, by its position in
    // policies.rules() (a directory the walk pruned counts once for the rule that pruned it):
    // for the stale-rule report. One increment per decided path: the scan pays nothing more.
    const std::vector<std::uint64_t>& rule_matches() const { return rule_matches_; }
    const manifests::PackageDatabase& database() const { return database_; }
    // Frees what only the classification needed (the database's file set) and hands the freed
    // memory back to the system: `offstage run` keeps the selection through every source, and
    // its peak is the archive's buffers on top of whatever the scan left. database().files()
    // is empty afterwards.
    void release_classification_data();
    const GeneratedState& generated() const { return generated_; }
    const manifests::WalkResult& walk() const { return walk_; }
    const manifests::UsrMergeAliases& aliases() const { return aliases_; }

private:
    manifests::WalkResult walk_;
    manifests::PackageDatabase database_;
    GeneratedState generated_;
    manifests::UsrMergeAliases aliases_;
    std::vector<Member> members_;
    std::vector<SpecialFile> specials_;
    std::vector<Reason> decisions_;           // per walked entry
    std::vector<std::uint64_t> rule_matches_; // per rule
    std::vector<manifests::WalkProblem> problems_;
    Counts counts_;
};

} // namespace offstage::selection
