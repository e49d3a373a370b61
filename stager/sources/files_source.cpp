#include "stager/sources/files_source.hpp"

namespace offstage::sources {

void report_file_problems(const std::vector<archive::FileProblem>& problems,
                          report::SourceResult& result) {
    for (const archive::FileProblem& problem : problems) {
        bool changed = problem.what.find("vanished") != std::string::npos ||
                       problem.what.find("changed") != std::string::npos ||
                       problem.what.find("shrank") != std::string::npos ||
                       problem.what.find("grew") != std::string::npos;
        result.degrade(changed ? report::ReasonCode::input_changed
                               : report::ReasonCode::input_unreadable,
                       problem.path + ": " + problem.what);
    }
}

FilesSource::FilesSource(const selection::BackupSelection& selection, std::filesystem::path root,
                         platform::ProgressMeter* progress)
    : selection_(selection)
    , root_(std::move(root))
    , progress_(progress) {}

void FilesSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    auto artifact =
        writer.begin_tar("files.tar.zst.age", staging::ArtifactWriter::Reuse::never, progress_);
    std::string root = root_.lexically_normal().string();
    while (root.size() > 1 && root.back() == '/') {
        root.pop_back();
    }
    artifact->tar().set_root(root == "/" ? std::string() : root);
    // Every directory on the way to a member goes in first, once, so that a restore gives
    // directories their owner, mode and times too (members come in byte order, so a
    // directory's entries follow it; `added` holds the directories of the previous member).
    std::vector<std::string> added;
    std::string path;
    for (const selection::BackupSelection::Member& member : selection_.members()) {
        selection_.path(member, path);
        std::size_t depth = 0;
        for (std::size_t slash = path.find('/', 1); slash != std::string::npos;
             slash = path.find('/', slash + 1), ++depth) {
            std::string_view directory(path.data(), slash);
            if (depth < added.size() && added[depth] == directory) {
                continue;
            }
            added.resize(depth);
            added.emplace_back(directory);
            artifact->tar().add(added.back());
        }
        added.resize(depth);
        artifact->tar().add(path);
    }
    report_file_problems(artifact->tar().problems(), result);
    result.counts["entries"] = artifact->tar().counts().entries;
    result.counts["bytes_read"] = artifact->tar().counts().bytes_read;
    result.artifacts.push_back(artifact->commit());
}

} // namespace offstage::sources
