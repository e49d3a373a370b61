#include "stager/selection/path_explainer.hpp"

#include <set>
#include <sys/stat.h>

namespace offstage::selection {

using manifests::EntryType;
using policies::Verdict;

namespace {

std::string normalise(std::string path) {
    while (path.size() > 1 && path.back() == '/') {
        path.pop_back();
    }
    return path;
}

std::string host_path(const std::filesystem::path& root, const std::string& path) {
    std::string full = root.string();
    while (!full.empty() && full.back() == '/') {
        full.pop_back();
    }
    return full + path;
}

// Why the walk never sees `path`, or empty when it would.
std::string walk_exclusion(const SelectionInput& input, const std::string& path,
                           const struct stat* info) {
    for (const char* kernel : {"/proc", "/sys", "/dev"}) {
        std::string_view top(kernel);
        if (path == top || (path.size() > top.size() && path.compare(0, top.size(), top) == 0 &&
                            path[top.size()] == '/')) {
            return "not in the set: the walk never enters " + std::string(top);
        }
    }
    struct stat root_info {};
    if (info == nullptr || ::stat(input.database.root.c_str(), &root_info) != 0) {
        return {};
    }
    bool on_walked_filesystem = info->st_dev == root_info.st_dev;
    for (const std::string& mount : input.filesystems) {
        struct stat mount_info {};
        std::string host = host_path(input.database.root, mount);
        if (::stat(host.c_str(), &mount_info) == 0 && mount_info.st_dev == info->st_dev) {
            on_walked_filesystem = true;
        }
    }
    if (!on_walked_filesystem) {
        return "not in the set: on a filesystem the scan does not walk ([scan] filesystems)";
    }
    // Below a skipped directory (the staging root)?
    for (const std::filesystem::path& skip : input.skip_directories) {
        struct stat skip_info {};
        if (::stat(skip.c_str(), &skip_info) != 0) {
            continue;
        }
        std::string prefix = path;
        for (;;) {
            struct stat ancestor {};
            std::string host = host_path(input.database.root, prefix);
            if (::lstat(host.c_str(), &ancestor) == 0 && ancestor.st_dev == skip_info.st_dev &&
                ancestor.st_ino == skip_info.st_ino) {
                return "not in the set: below the staging root " + skip.string();
            }
            std::size_t slash = prefix.rfind('/');
            if (slash == 0 || slash == std::string::npos) {
                break;
            }
            prefix.resize(slash);
        }
    }
    return {};
}

} // namespace

std::vector<Explanation> PathExplainer::explain(const SelectionInput& input,
                                                const policies::PolicySet& policies,
                                                const std::vector<std::string>& paths) {
    const std::filesystem::path& root = input.database.root;
    manifests::UsrMergeAliases aliases = manifests::UsrMergeAliases::detect(root);
    manifests::PackageDatabase database = manifests::PackageDatabase::load(input.database, aliases);
    GeneratedState generated = GeneratedState::load(root, input.database.admindir, aliases);

    std::vector<Explanation> explanations;
    std::set<std::string> wanted;
    for (const std::string& asked : paths) {
        Explanation explanation;
        explanation.path = asked;
        explanation.canonical = aliases.canonical(normalise(asked));
        wanted.insert(explanation.canonical);
        explanations.push_back(std::move(explanation));
    }
    auto owners = manifests::PackageDatabase::owners(input.database, aliases, wanted);

    for (Explanation& explanation : explanations) {
        const std::string& path = explanation.canonical;
        struct stat info {};
        std::string host = host_path(root, path);
        explanation.exists = ::lstat(host.c_str(), &info) == 0;
        if (explanation.exists) {
            explanation.type = manifests::type_from_mode(info.st_mode);
        }
        if (auto it = owners.find(path); it != owners.end()) {
            explanation.owners = it->second;
        }
        for (const manifests::Diversion& diversion : database.diversions().diversions()) {
            std::string by =
                diversion.package.empty() ? "local diversion" : "diversion by " + diversion.package;
            if (diversion.from == path) {
                explanation.diversion = by + ": other packages' " + path + " is at " + diversion.to;
            } else if (diversion.to == path) {
                explanation.diversion = by + ": holds the packaged " + diversion.from;
            }
        }
        bool is_package_file = database.files().contains(path);
        if (const manifests::Conffile* conffile = database.find_conffile(path)) {
            explanation.conffile = *conffile;
            explanation.conffile->assess(root);
        }
        if (const std::string* by = generated.expected_by(path)) {
            explanation.generated = *by;
        }
        if (const manifests::UcfFile* ucf = generated.ucf().find(path)) {
            // ucf's hashfile is its record of the pristine file: compared like a conffile's.
            manifests::Conffile probe;
            probe.path = path;
            probe.md5 = ucf->md5.empty() ? "newconffile" : ucf->md5;
            probe.assess(root);
            explanation.ucf =
                "registered by " + ucf->package + ", " +
                std::string(manifests::to_string(probe.state)) +
                (ucf->md5.empty() ? " (no hash in ucf's hashfile)" : " against ucf's hashfile");
        }
        bool is_directory = explanation.exists && explanation.type == EntryType::directory;
        const policies::Rule* rule = policies.match(path, is_directory);
        if (rule != nullptr) {
            explanation.rule = *rule;
        }
        std::string not_walked =
            explanation.exists ? walk_exclusion(input, path, &info) : std::string();

        // The same order of decisions as BackupSelection::classify.
        if (explanation.conffile &&
            explanation.conffile->state != manifests::ConffileState::missing) {
            explanation.verdict = std::string(to_string(Reason::conffile));
        } else if (!explanation.exists) {
            explanation.verdict = "not in the set: no such file under the root";
        } else if (!not_walked.empty()) {
            explanation.verdict = not_walked;
        } else if (is_directory) {
            explanation.verdict =
                rule != nullptr && rule->verdict == Verdict::exclude
                    ? "excluded directory: the walk does not enter it"
                    : "a directory: not a member itself; each path below it is decided on its own";
        } else if (explanation.type != EntryType::regular &&
                   explanation.type != EntryType::symlink) {
            explanation.verdict = "not in the set: a " + std::string(to_string(explanation.type)) +
                                  " is never archived";
        } else if (rule != nullptr && rule->verdict == Verdict::include) {
            explanation.verdict = std::string(to_string(Reason::included));
        } else if (rule != nullptr && rule->verdict == Verdict::exclude) {
            explanation.verdict = std::string(to_string(Reason::excluded));
        } else if (is_package_file) {
            explanation.verdict = std::string(to_string(Reason::package_file));
        } else if (rule != nullptr) {
            explanation.verdict = std::string(to_string(Reason::expected));
        } else if (!explanation.generated.empty()) {
            explanation.verdict =
                std::string(to_string(Reason::expected)) + ": " + explanation.generated;
        } else {
            explanation.verdict = std::string(to_string(Reason::annoying));
        }
    }
    return explanations;
}

} // namespace offstage::selection
