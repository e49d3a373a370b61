#include "stager/selection/backup_selection.hpp"

#include <exception>
#include <thread>

namespace offstage::selection {

using manifests::EntryType;
using policies::Verdict;

std::string_view to_string(Reason reason) {
    switch (reason) {
    case Reason::conffile:
        return "conffile";
    case Reason::included:
        return "included";
    case Reason::expected:
        return "expected";
    case Reason::annoying:
        return "annoying";
    case Reason::excluded:
        return "excluded";
    case Reason::package_file:
        return "package file";
    }
    return "unknown";
}

namespace {

bool is_special(EntryType type) {
    return type != EntryType::regular && type != EntryType::symlink && type != EntryType::directory;
}

} // namespace

BackupSelection BackupSelection::compute(const SelectionInput& input,
                                         const policies::PolicySet& policies) {
    const std::filesystem::path& root = input.database.root;
    manifests::UsrMergeAliases aliases = manifests::UsrMergeAliases::detect(root);

    // dpkg-query and the md5 of the conffiles take a fraction of the walk's time: on a second
    // core they cost no wall time at all.
    manifests::PackageDatabase database;
    GeneratedState generated;
    std::exception_ptr database_error;
    std::thread reader([&]() {
        try {
            database = manifests::PackageDatabase::load(input.database, aliases);
            database.assess_conffiles(root);
            generated = GeneratedState::load(root, input.database.admindir, aliases);
        } catch (...) {
            database_error = std::current_exception();
        }
    });

    manifests::WalkOptions options;
    options.root = root;
    options.filesystems = input.filesystems;
    options.skip_directories = input.skip_directories;
    options.prune = [&policies](std::string_view directory) {
        const policies::Rule* rule = policies.subtree_rule(directory);
        return rule != nullptr && rule->verdict == Verdict::exclude;
    };
    manifests::WalkResult walk;
    try {
        walk = manifests::FilesystemWalk::run(options);
    } catch (...) {
        reader.join();
        throw;
    }
    reader.join();
    if (database_error) {
        std::rethrow_exception(database_error);
    }
    return classify(std::move(walk), std::move(database), std::move(generated), aliases, policies);
}

BackupSelection BackupSelection::classify(manifests::WalkResult walk,
                                          manifests::PackageDatabase database,
                                          GeneratedState generated,
                                          const manifests::UsrMergeAliases& aliases,
                                          const policies::PolicySet& policies) {
    BackupSelection selection;
    selection.walk_ = std::move(walk);
    selection.database_ = std::move(database);
    selection.generated_ = std::move(generated);
    selection.aliases_ = aliases;
    const manifests::WalkedTree& tree = selection.walk_.tree;
    const manifests::PackageFileSet& package_files = selection.database_.files();
    const std::vector<manifests::Conffile>& conffiles = selection.database_.conffiles();
    Counts& counts = selection.counts_;

    // Both the walk and the conffiles are in byte order: merge them so members are too.
    std::size_t next_conffile = 0;
    auto add_conffiles_before = [&](const std::string* bound) {
        for (; next_conffile < conffiles.size() &&
               (bound == nullptr || conffiles[next_conffile].path < *bound);
             ++next_conffile) {
            const manifests::Conffile& conffile = conffiles[next_conffile];
            if (conffile.state == manifests::ConffileState::missing) {
                continue; // reported among the conffile states; nothing to back up
            }
            selection.members_.push_back({static_cast<std::uint32_t>(next_conffile), true,
                                          Reason::conffile, policies.match(conffile.path, false),
                                          nullptr});
            ++counts.conffiles;
        }
    };

    std::string path;
    counts.walked = tree.size();
    for (std::size_t i = 0; i < tree.size(); ++i) {
        tree.path(i, path);
        EntryType type = tree.type(i);
        add_conffiles_before(&path);
        if (next_conffile < conffiles.size() && conffiles[next_conffile].path == path) {
            continue; // the conffile list adds it, with its state
        }
        const policies::Rule* rule = policies.match(path, false);
        Verdict verdict = rule == nullptr ? Verdict::expect : rule->verdict;
        auto index = static_cast<std::uint32_t>(i);
        if (is_special(type)) {
            // Sockets, FIFOs and device nodes are never archived; an admin hears of those no
            // package or rule accounts for.
            bool excluded = rule != nullptr && verdict == Verdict::exclude;
            bool included = rule != nullptr && verdict == Verdict::include;
            if (!excluded && (included || !package_files.contains(path))) {
                selection.specials_.push_back({index, type});
            }
            continue;
        }
        if (rule != nullptr && verdict == Verdict::include) {
            selection.members_.push_back({index, false, Reason::included, rule, nullptr});
            ++counts.included;
        } else if (rule != nullptr && verdict == Verdict::exclude) {
            ++counts.excluded;
        } else if (package_files.contains(path)) {
            ++counts.package_files;
        } else if (rule != nullptr) { // expect
            selection.members_.push_back({index, false, Reason::expected, rule, nullptr});
            ++counts.expected;
        } else if (const std::string* by = selection.generated_.expected_by(path)) {
            // Only where no rule decides: an admin's rule about such a path still wins.
            selection.members_.push_back({index, false, Reason::expected, nullptr, by});
            ++counts.expected;
            ++counts.expected_generated;
        } else {
            selection.members_.push_back({index, false, Reason::annoying, nullptr, nullptr});
            ++counts.annoying;
        }
    }
    add_conffiles_before(nullptr);
    return selection;
}

void BackupSelection::path(const Member& member, std::string& out) const {
    if (member.from_conffiles) {
        out = database_.conffiles()[member.index].path;
    } else {
        walk_.tree.path(member.index, out);
    }
}

} // namespace offstage::selection
