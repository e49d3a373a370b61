#include "stager/status/status_snapshot.hpp"

#include "platform/staging_layout.hpp"
#include "stager/staging/staging_tree.hpp"
#include "stager/status/pull_check.hpp"

#include <algorithm>
#include <map>
#include <sys/stat.h>

namespace offstage::status {
namespace {

namespace layout = platform::staging_layout;

std::uint64_t file_bytes(const std::filesystem::path& path) {
    struct stat info {};
    return ::lstat(path.c_str(), &info) == 0 ? static_cast<std::uint64_t>(info.st_size) : 0;
}

// Counts per directory; names kept only when the page may show them.
std::vector<DirectoryCount> by_directory(const catalog::Catalog& catalog,
                                         catalog::AnnoyingSet which, bool keep_names,
                                         std::size_t& total) {
    std::map<std::string, DirectoryCount> groups;
    total = 0;
    catalog.for_each_annoying(which, [&](std::string_view path) {
        ++total;
        std::size_t slash = path.rfind('/');
        std::string directory(slash == std::string_view::npos ? std::string_view("")
                                                              : path.substr(0, slash + 1));
        DirectoryCount& group = groups[directory];
        group.directory = directory;
        ++group.files;
        if (keep_names && group.names.size() < names_per_directory) {
            group.names.emplace_back(path);
        }
    });
    std::vector<DirectoryCount> sorted;
    sorted.reserve(groups.size());
    for (auto& [directory, group] : groups) {
        std::sort(group.names.begin(), group.names.end());
        sorted.push_back(std::move(group));
    }
    std::stable_sort(
        sorted.begin(), sorted.end(),
        [](const DirectoryCount& a, const DirectoryCount& b) { return a.files > b.files; });
    return sorted;
}

} // namespace

TreeState read_trees(const std::filesystem::path& staging_root) {
    TreeState trees;
    try {
        staging::StagingTree tree(staging_root, layout::default_work_root(staging_root));
        trees.complete_days = tree.complete_days();
    } catch (const std::exception& error) {
        trees.error = error.what();
        return trees;
    }
    if (!trees.complete_days.empty()) {
        std::filesystem::path signature =
            staging_root / trees.complete_days.back() / layout::signature_name;
        struct stat info {};
        if (::lstat(signature.c_str(), &info) == 0) {
            trees.newest_signed_at = std::chrono::system_clock::from_time_t(info.st_mtim.tv_sec);
        }
    }
    return trees;
}

StatusSnapshot take_snapshot(const catalog::Catalog* catalog,
                             const std::filesystem::path& catalog_path,
                             const std::filesystem::path& staging_root,
                             const StatusSettings& settings,
                             std::chrono::system_clock::time_point now) {
    StatusSnapshot snapshot;
    snapshot.now = now;
    snapshot.catalog_path = catalog_path;
    snapshot.staging_root = staging_root;
    snapshot.keep = settings.keep;
    snapshot.show_names = settings.show_names;
    snapshot.trees = read_trees(staging_root);
    snapshot.pull_check.deadline = settings.pull_deadline;
    if (catalog == nullptr) {
        return snapshot;
    }
    snapshot.catalog_exists = true;
    snapshot.catalog_bytes = file_bytes(catalog_path) + file_bytes(catalog_path.string() + "-wal");
    snapshot.runs = catalog->recent_runs(history_runs);
    snapshot.pulls = catalog->recent_pulls(history_pulls);
    if (!snapshot.runs.empty()) {
        snapshot.host = snapshot.runs.front().run.host;
    }
    snapshot.pull_check = check_pulls(snapshot.runs, snapshot.pulls, settings.pull_deadline, now);

    AnnoyingSummary& annoying = snapshot.annoying;
    annoying.scanned = std::any_of(
        snapshot.runs.begin(), snapshot.runs.end(),
        [](const catalog::RecordedRun& recorded) { return recorded.run.annoying_files_scanned; });
    catalog->for_each_annoying(catalog::AnnoyingSet::current,
                               [&](std::string_view) { ++annoying.current; });
    annoying.fresh_directories =
        by_directory(*catalog, catalog::AnnoyingSet::fresh, settings.show_names, annoying.fresh);
    annoying.gone_directories =
        by_directory(*catalog, catalog::AnnoyingSet::gone, settings.show_names, annoying.gone);
    return snapshot;
}

} // namespace offstage::status
