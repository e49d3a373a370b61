#include "stager/selection/scan_records.hpp"

#include <cstring>

namespace offstage::selection {

namespace {

// Calls record(kind, detail, path) for every record, in the report's order.
template <typename Record>
void for_each_record(const BackupSelection& selection, Record&& record,
                     const std::function<void()>& after_member) {
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

} // namespace

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
    for_each_record(selection, record, after_member);
}

std::string scan_records(const BackupSelection& selection) {
    std::size_t size = 0;
    for_each_record(selection,
                    [&size](std::string_view kind, std::string_view detail, std::string_view path) {
                        size += kind.size() + detail.size() + path.size() + 3;
                    },
                    {});
    std::string out;
    out.reserve(size);
    append_scan_records(selection, out);
    return out;
}

} // namespace offstage::selection
