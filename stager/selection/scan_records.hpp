// The scan in `offstage scan --format null`'s record format: records of three NUL-terminated
// fields, KIND DETAIL PATH (member REASON, conffile STATE, special TYPE, problem WHAT). The same
// bytes go to standard output and, in the run, into system.tar.zst.age as the full scan report.
#pragma once

#include "stager/selection/backup_selection.hpp"

#include <functional>
#include <string>

namespace offstage::selection {

// Appends every record to `out`, calling `after_member` after each member (a caller that
// streams flushes there; members are most of the records).
void append_scan_records(const BackupSelection& selection, std::string& out,
                         const std::function<void()>& after_member = {});
// Every record in one string of exactly its size: a string grown by appending holds up to twice
// its size while it moves, which was the peak of a whole `offstage run` (31 MB for a 16 MB
// report of this machine's root, on top of the selection and the artifacts' buffers).
std::string scan_records(const BackupSelection& selection);

} // namespace offstage::selection
