// `files`: the backup set of the scan (non-package files, conffiles, included paths) in
// files.tar.zst.age, each preceded by the directories on its way (not their other content), so
// that a restore gives them back their owner, mode and times. Files that vanish or change while
// read are reported and make the source degraded; the artifact stays valid. Never reused: such a
// set changes every day.
#pragma once

#include "platform/progress_meter.hpp"
#include "stager/selection/backup_selection.hpp"
#include "stager/sources/source.hpp"

#include <filesystem>

namespace offstage::sources {

class FilesSource : public Source {
public:
    // `selection` and `root` (the scanned root: paths are read at ROOT/PATH) outlive the source.
    FilesSource(const selection::BackupSelection& selection, std::filesystem::path root,
                platform::ProgressMeter* progress = nullptr);

    std::string name() const override { return "files"; }
    std::string kind() const override { return "files"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

private:
    const selection::BackupSelection& selection_;
    std::filesystem::path root_;
    platform::ProgressMeter* progress_;
};

// The archive's path problems as a source's problems: vanished/changed ones as input_changed,
// the rest as input_unreadable.
void report_file_problems(const std::vector<archive::FileProblem>& problems,
                          report::SourceResult& result);

} // namespace offstage::sources
