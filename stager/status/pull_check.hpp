// Whether the provider keeps up with the published trees (docs/status-page.md, "Pulls"): a
// pure function of the published runs and the pulls the catalog recorded, so the page, the
// metrics and the mail say the same.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "stager/report/run_result.hpp"

#include <chrono>
#include <vector>

namespace offstage::status {

// `runs`: any order, any status (failed runs published nothing and are skipped); a day
// published twice counts from its newest publication. `pulls`: any order. A tree is pulled when
// a receipt of a whole pull of its day, or of the whole root, ended at or after its
// publication. The deadline runs from the publication of the oldest tree the provider has not
// caught up with, so a provider that stops pulling is noticed even while a new tree is
// published every day.
report::PullCheck check_pulls(const std::vector<catalog::RecordedRun>& runs,
                              const std::vector<catalog::PullRecord>& pulls,
                              std::chrono::seconds deadline,
                              std::chrono::system_clock::time_point now);

} // namespace offstage::status
