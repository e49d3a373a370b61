#include "stager/selection/scan_records.hpp"

#include <cstring>

namespace offstage::selection {

void append_scan_records(const BackupSelection& selection, std::string& out,
                         const std::function<void()>& after_member) {
    auto record = [&out](std::string_view kind, std::string_view detail, std::string_view path) {
        out.append(kind);
        out += '\0';
        out.append(detail);
        out += '\0';
        out.append(path);
        out += '\0';
    };
    std::string path;
    for (const BackupSelection::Member& member : selection.members()) {
        selection.path(member, path);
        record("member", to_string(member.reason), path);
        if (after_member) {
            after_member();
        }
    }
    for (const manifests::Conffile& conffile : selection.conffiles()) {
        record("conffile", manifests::to_string(conffile.state), conffile.path);
    }
    for (const BackupSelection::SpecialFile& special : selection.special_files()) {
        record("special", manifests::to_string(special.type), selection.path(special));
    }
    for (const manifests::WalkProblem& problem : selection.problems()) {
        record("problem", problem.what + ": " + std::strerror(problem.error), problem.path);
    }
}

} // namespace offstage::selection
