#include "stager/selection/backup_selection.hpp"

#include <exception>
#include <malloc.h>
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
    case Reason::special:
        return "special file";
    case Reason::directory:
        return "directory";
    case Reason::not_walked:
        return "not walked";
    }
    return "unknown";
}

namespace {

bool is_special(EntryType type) {
    return type != EntryType::regular && type != EntryType::symlink && type != EntryType::directory;
}

} // namespace

Decision BackupSelection::decide(std::string_view path, const manifests::WalkPosition& position,
                                 const manifests::Conffile* conffile,
                                 const manifests::PackageFileSet& package_files,
                                 const GeneratedState& generated,
                                 const policies::PolicySet& policies) {
    using Outcome = manifests::WalkPosition::Outcome;
    const bool walked = position.outcome == Outcome::walked;
    // The type is known when the walk reaches the path, or stops at the path itself (a pruned
    // directory: a tree rule matches it as a directory).
    const bool is_directory = position.type == EntryType::directory;
    Decision decision;
    decision.rule = policies.match(path, is_directory);
    const bool include = decision.rule != nullptr && decision.rule->verdict == Verdict::include;
    const bool exclude = decision.rule != nullptr && decision.rule->verdict == Verdict::exclude;
    // A conffile is backed up wherever it is, walked or not, whatever the rules say.
    if (conffile != nullptr && conffile->state != manifests::ConffileState::missing) {
        decision.reason = Reason::conffile;
        return decision;
    }
    if (position.outcome == Outcome::pruned) {
        // The walk prunes only what an exclude rule decides wholesale.
        decision.reason = Reason::excluded;
        return decision;
    }
    if (!walked) {
        decision.reason = Reason::not_walked;
        return decision;
    }
    if (is_directory) {
        decision.reason = Reason::directory; // the walk enters it
    } else if (is_special(position.type)) {
        // Sockets, FIFOs and device nodes are never archived; an admin hears of those no
        // package or rule accounts for.
        decision.reason = exclude                                    ? Reason::excluded
                          : include || !package_files.contains(path) ? Reason::special
                                                                     : Reason::package_file;
    } else if (include) {
        decision.reason = Reason::included;
    } else if (exclude) {
        decision.reason = Reason::excluded;
    } else if (package_files.contains(path)) {
        decision.reason = Reason::package_file;
    } else if (decision.rule != nullptr) { // expect
        decision.reason = Reason::expected;
    } else if ((decision.expected_by = generated.expected_by(path)) != nullptr) {
        // Only where no rule decides: an admin's rule about such a path still wins.
        decision.reason = Reason::expected;
    } else {
        decision.reason = Reason::annoying;
    }
    return decision;
}

manifests::WalkOptions
BackupSelection::walk_options(const SelectionInput& input, const policies::PolicySet& policies,
                              std::vector<std::atomic<std::uint64_t>>* pruned_by) {
    manifests::WalkOptions options;
    options.root = input.database.root;
    options.filesystems = input.filesystems;
    options.skip_directories = input.skip_directories;
    options.prune = [&policies, pruned_by](std::string_view directory) {
        const policies::Rule* rule = policies.subtree_rule(directory);
        bool prune = rule != nullptr && rule->verdict == Verdict::exclude;
        if (prune && pruned_by != nullptr) {
            (*pruned_by)[static_cast<std::size_t>(rule - policies.rules().data())].fetch_add(
                1, std::memory_order_relaxed);
        }
        return prune;
    };
    return options;
}

void BackupSelection::release_classification_data() {
    database_.release_files();
    // glibc keeps freed heap for reuse; trimming returns the scan's parse buffers and the file
    // set to the system before the sources allocate their own.
    ::malloc_trim(0);
}

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

    manifests::WalkResult walk;
    std::vector<std::atomic<std::uint64_t>> pruned_by(policies.rules().size());
    try {
        walk = manifests::FilesystemWalk::run(walk_options(input, policies, &pruned_by));
    } catch (...) {
        reader.join();
        throw;
    }
    reader.join();
    if (database_error) {
        std::rethrow_exception(database_error);
    }
    BackupSelection selection =
        classify(std::move(walk), std::move(database), std::move(generated), aliases, policies);
    for (std::size_t i = 0; i < pruned_by.size(); ++i) {
        selection.rule_matches_[i] += pruned_by[i].load(std::memory_order_relaxed);
    }
    return selection;
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
    selection.problems_ = selection.walk_.problems;
    selection.decisions_.reserve(tree.size());
    selection.rule_matches_.assign(policies.rules().size(), 0);
    const policies::Rule* first_rule = policies.rules().data();
    auto count_rule = [&](const policies::Rule* rule) {
        if (rule != nullptr) {
            ++selection.rule_matches_[static_cast<std::size_t>(rule - first_rule)];
        }
    };

    // Both the walk and the conffiles are in byte order: merge them so members are too.
    // The conffile list is not the walk: a conffile the walk does not list is still a member.
    manifests::WalkPosition not_walked;
    not_walked.outcome = manifests::WalkPosition::Outcome::missing;
    std::size_t next_conffile = 0;
    auto add_conffiles_before = [&](const std::string* bound) {
        for (; next_conffile < conffiles.size() &&
               (bound == nullptr || conffiles[next_conffile].path < *bound);
             ++next_conffile) {
            const manifests::Conffile& conffile = conffiles[next_conffile];
            if (conffile.state == manifests::ConffileState::unknown) {
                selection.problems_.push_back(
                    {conffile.path, conffile.error, conffile.failed_call});
            }
            Decision decision = decide(conffile.path, not_walked, &conffile, package_files,
                                       selection.generated_, policies);
            if (decision.reason != Reason::conffile) {
                continue; // missing: reported among the conffile states; nothing to back up
            }
            count_rule(decision.rule); // once per conffile, walked or not
            selection.members_.push_back({static_cast<std::uint32_t>(next_conffile), true,
                                          Reason::conffile, decision.rule, nullptr});
            ++counts.conffiles;
        }
    };

    std::string path;
    manifests::WalkPosition walked;
    walked.outcome = manifests::WalkPosition::Outcome::walked;
    counts.walked = tree.size();
    for (std::size_t i = 0; i < tree.size(); ++i) {
        tree.path(i, path);
        walked.type = tree.type(i);
        add_conffiles_before(&path);
        const manifests::Conffile* conffile = nullptr;
        if (next_conffile < conffiles.size() && conffiles[next_conffile].path == path) {
            conffile = &conffiles[next_conffile]; // the conffile list adds it, with its state
        }
        Decision decision =
            decide(path, walked, conffile, package_files, selection.generated_, policies);
        selection.decisions_.push_back(decision.reason);
        if (decision.reason != Reason::conffile) {
            count_rule(decision.rule); // a conffile counts once, through the conffile list
        }
        auto index = static_cast<std::uint32_t>(i);
        switch (decision.reason) {
        case Reason::conffile:
            break; // a member through the conffile list
        case Reason::special:
            selection.specials_.push_back({index, walked.type});
            break;
        case Reason::included:
        case Reason::expected:
        case Reason::annoying:
            selection.members_.push_back(
                {index, false, decision.reason, decision.rule, decision.expected_by});
            ++(decision.reason == Reason::included   ? counts.included
               : decision.reason == Reason::expected ? counts.expected
                                                     : counts.annoying);
            counts.expected_generated += decision.expected_by != nullptr;
            break;
        case Reason::excluded:
            counts.excluded += !is_special(walked.type);
            break;
        case Reason::package_file:
            counts.package_files += !is_special(walked.type);
            break;
        case Reason::directory:
        case Reason::not_walked:
            break; // never for an entry of the walk
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
