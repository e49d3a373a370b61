#include "stager/selection/path_explainer.hpp"

#include <cstring>

namespace offstage::selection {

using manifests::EntryType;
using Outcome = manifests::WalkPosition::Outcome;

namespace {

// The verdict line for a path the walk does not list.
std::string not_walked_verdict(const manifests::WalkPosition& walk) {
    switch (walk.outcome) {
    case Outcome::walked:
    case Outcome::pruned:
        break;
    case Outcome::missing:
        return "not in the set: no such file under the root";
    case Outcome::kernel_tree:
        return "not in the set: the walk never enters " + walk.at;
    case Outcome::other_filesystem:
        return "not in the set: " + walk.at +
               " is on a filesystem the scan does not walk ([scan] filesystems)";
    case Outcome::skipped:
        return "not in the set: " + walk.at + " is the staging root, which the walk skips";
    case Outcome::below_symlink:
        return "not in the set: " + walk.at + " is a symlink, which the walk never follows";
    case Outcome::unreadable:
        return "not in the set: the walk cannot read " + walk.at + " (" +
               std::strerror(walk.error) + "; a problem of the scan)";
    }
    return "not in the set";
}

std::string verdict_of(const Explanation& explanation, const std::string& path) {
    switch (explanation.reason) {
    case Reason::expected:
        return explanation.generated.empty() || explanation.rule
                   ? std::string(to_string(Reason::expected))
                   : std::string(to_string(Reason::expected)) + ": " + explanation.generated;
    case Reason::excluded:
        if (explanation.walk.outcome == Outcome::pruned && explanation.walk.at == path) {
            return "excluded directory: the walk does not enter it";
        }
        return std::string(to_string(Reason::excluded));
    case Reason::special:
        return "not in the set: a " + std::string(to_string(explanation.type)) +
               " is never archived";
    case Reason::directory:
        return "a directory: not a member itself; each path below it is decided on its own";
    case Reason::not_walked:
        return not_walked_verdict(explanation.walk);
    case Reason::conffile:
    case Reason::included:
    case Reason::annoying:
    case Reason::package_file:
        break;
    }
    return std::string(to_string(explanation.reason));
}

} // namespace

std::string PathExplainer::normalise(std::string_view path) {
    std::vector<std::string_view> components;
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find('/', begin);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        std::string_view component = path.substr(begin, end - begin);
        if (component == "..") {
            if (!components.empty()) {
                components.pop_back(); // and at the root, ".." is the root
            }
        } else if (!component.empty() && component != ".") {
            components.push_back(component);
        }
        begin = end + 1;
    }
    std::string normalised;
    for (std::string_view component : components) {
        normalised += '/';
        normalised += component;
    }
    return normalised.empty() ? "/" : normalised;
}

std::vector<Explanation> PathExplainer::explain(const SelectionInput& input,
                                                const policies::PolicySet& policies,
                                                const std::vector<std::string>& paths) {
    const std::filesystem::path& root = input.database.root;
    manifests::UsrMergeAliases aliases = manifests::UsrMergeAliases::detect(root);

    std::vector<Explanation> explanations;
    std::vector<std::string> wanted;
    for (const std::string& asked : paths) {
        Explanation explanation;
        explanation.path = asked;
        explanation.normalised = normalise(asked);
        explanation.canonical = aliases.canonical(explanation.normalised);
        wanted.push_back(explanation.canonical);
        explanations.push_back(std::move(explanation));
    }
    // One dpkg-query run, as the scan's, that also collects the owners of the paths asked.
    manifests::PackageDatabase database =
        manifests::PackageDatabase::load(input.database, aliases, wanted);
    GeneratedState generated = GeneratedState::load(root, input.database.admindir, aliases);
    manifests::RootDirectory root_directory(root);
    const manifests::WalkOptions walk_options = BackupSelection::walk_options(input, policies);

    for (Explanation& explanation : explanations) {
        const std::string& path = explanation.canonical;
        explanation.walk = manifests::FilesystemWalk::locate(walk_options, path);
        explanation.exists =
            explanation.walk.outcome == Outcome::walked ||
            (explanation.walk.at == path && explanation.walk.outcome != Outcome::missing &&
             explanation.walk.outcome != Outcome::unreadable);
        if (explanation.exists) {
            explanation.type = explanation.walk.type;
        }
        explanation.owners = database.owners(path);
        for (const manifests::Diversion& diversion : database.diversions().diversions()) {
            std::string by =
                diversion.package.empty() ? "local diversion" : "diversion by " + diversion.package;
            if (diversion.from == path) {
                explanation.diversion = by + ": other packages' " + path + " is at " + diversion.to;
            } else if (diversion.to == path) {
                explanation.diversion = by + ": holds the packaged " + diversion.from;
            }
        }
        if (const manifests::Conffile* conffile = database.find_conffile(path)) {
            explanation.conffile = *conffile;
            explanation.conffile->assess(root_directory); // as the scan assesses it
        }
        if (const std::string* by = generated.expected_by(path)) {
            explanation.generated = *by;
        }
        if (const manifests::UcfFile* ucf = generated.ucf().find(path)) {
            // ucf's hashfile is its record of the pristine file: compared like a conffile's.
            manifests::Conffile probe;
            probe.path = path;
            probe.md5 = ucf->md5.empty() ? "newconffile" : ucf->md5;
            probe.assess(root_directory);
            explanation.ucf =
                "registered by " + ucf->package + ", " +
                std::string(manifests::to_string(probe.state)) +
                (ucf->md5.empty() ? " (no hash in ucf's hashfile)" : " against ucf's hashfile");
        }
        Decision decision = BackupSelection::decide(
            path, explanation.walk, explanation.conffile ? &*explanation.conffile : nullptr,
            database.files(), generated, policies);
        if (decision.rule != nullptr) {
            explanation.rule = *decision.rule;
        }
        explanation.reason = decision.reason;
        explanation.verdict = verdict_of(explanation, path);
    }
    return explanations;
}

} // namespace offstage::selection
