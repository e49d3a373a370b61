#include "stager/status/pull_check.hpp"

#include <map>

namespace offstage::status {

report::PullCheck check_pulls(const std::vector<catalog::RecordedRun>& runs,
                              const std::vector<catalog::PullRecord>& pulls,
                              std::chrono::seconds deadline,
                              std::chrono::system_clock::time_point now) {
    using TimePoint = std::chrono::system_clock::time_point;
    report::PullCheck check;
    check.deadline = deadline;

    // Each published day with its newest publication (the tree that is there now).
    std::map<std::string, std::pair<std::int64_t, TimePoint>> published;
    for (const catalog::RecordedRun& recorded : runs) {
        if (recorded.run.status == report::RunStatus::failed) {
            continue;
        }
        auto [it, added] =
            published.try_emplace(recorded.run.day, recorded.id, recorded.run.finished_at);
        if (!added && recorded.id > it->second.first) {
            it->second = {recorded.id, recorded.run.finished_at};
        }
    }

    std::map<std::string, TimePoint> pulled_at; // day -> its newest receipt
    for (const catalog::PullRecord& pull : pulls) {
        if (!check.last_pull_at || pull.finished_at > *check.last_pull_at) {
            check.last_pull_at = pull.finished_at;
        }
        if (!pull.whole || pull.status != 0) {
            continue;
        }
        for (const auto& [day, publication] : published) {
            if ((pull.served == day || pull.served == "*") &&
                pull.finished_at >= publication.second) {
                auto [it, added] = pulled_at.try_emplace(day, pull.finished_at);
                if (!added && pull.finished_at > it->second) {
                    it->second = pull.finished_at;
                }
            }
        }
    }

    if (published.empty()) {
        return check;
    }
    check.newest_day = published.rbegin()->first;
    check.newest_published_at = published.rbegin()->second.second;
    if (auto it = pulled_at.find(check.newest_day); it != pulled_at.end()) {
        check.newest_pulled_at = it->second;
    }
    if (!pulled_at.empty()) {
        check.last_pulled_day = pulled_at.rbegin()->first;
    }
    auto waiting = check.last_pulled_day.empty() ? published.begin()
                                                 : published.upper_bound(check.last_pulled_day);
    if (waiting != published.end()) {
        check.waiting_day = waiting->first;
        check.waiting_since = waiting->second.second;
        check.overdue = now - *check.waiting_since > deadline;
    }
    return check;
}

} // namespace offstage::status
