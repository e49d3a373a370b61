#include "stager/mail/mail_cadence.hpp"

#include "platform/printable_name.hpp"

#include <algorithm>
#include <ctime>

namespace offstage::mail {

using platform::printable_name;
using report::Outcome;
using report::RunResult;
using report::RunStatus;

namespace {

std::string utc_day(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm fields{};
    gmtime_r(&seconds, &fields);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d", &fields);
    return text;
}

const report::SourceResult* find_source(const RunResult& run, const std::string& name) {
    auto it = std::find_if(run.sources.begin(), run.sources.end(),
                           [&](const report::SourceResult& s) { return s.name == name; });
    return it == run.sources.end() ? nullptr : &*it;
}

} // namespace

std::vector<std::string> trouble(const RunResult& run) {
    std::vector<std::string> found;
    if (run.status == RunStatus::failed) {
        found.push_back("the run failed");
    }
    for (const report::SourceResult& source : run.sources) {
        if (source.outcome != Outcome::ok) {
            found.push_back(printable_name(source.name) + " " +
                            std::string(report::to_string(source.outcome)));
        }
    }
    if (run.pulls && run.pulls->overdue) {
        // The provider stopped pulling: silence here would be taken for success.
        found.push_back("the provider has not pulled " + run.pulls->waiting_day);
    }
    if (!run.notes.empty()) {
        found.push_back(std::to_string(run.notes.size()) +
                        (run.notes.size() == 1 ? " note" : " notes"));
    }
    return found;
}

std::vector<std::string> changes(const RunResult& run, const RunResult* previous) {
    std::vector<std::string> found;
    if (previous == nullptr) {
        found.push_back("the first run recorded");
        return found;
    }
    if (!run.new_annoying_files.empty()) {
        found.push_back(std::to_string(run.new_annoying_files.size()) + " new annoying " +
                        (run.new_annoying_files.size() == 1 ? "file" : "files"));
    }
    if (run.changed_conffiles && !run.changed_conffiles->empty()) {
        found.push_back(std::to_string(run.changed_conffiles->size()) + " conffile" +
                        (run.changed_conffiles->size() == 1 ? "" : "s") + " changed state");
    }
    if (previous->status != run.status) {
        found.push_back("run " + std::string(report::to_string(previous->status)) + " -> " +
                        std::string(report::to_string(run.status)));
    }
    for (const report::SourceResult& source : run.sources) {
        const report::SourceResult* before = find_source(*previous, source.name);
        if (before == nullptr) {
            found.push_back(printable_name(source.name) + ": new source");
        } else if (before->outcome != source.outcome) {
            found.push_back(printable_name(source.name) + ": " +
                            std::string(report::to_string(before->outcome)) + " -> " +
                            std::string(report::to_string(source.outcome)));
        }
    }
    // A failed run may stop before its sources: only a published run says a source is gone.
    if (run.status != RunStatus::failed && previous->status != RunStatus::failed) {
        for (const report::SourceResult& source : previous->sources) {
            if (find_source(run, source.name) == nullptr) {
                found.push_back(printable_name(source.name) + ": gone");
            }
        }
    }
    return found;
}

MailDecision decide_mail(const RunResult& run, const RunResult* previous,
                         std::optional<std::chrono::system_clock::time_point> last_sent,
                         MailCadence cadence) {
    MailDecision decision;
    if (cadence == MailCadence::always) {
        decision.reasons.push_back("[mail] send = \"always\"");
        return decision;
    }
    if (cadence == MailCadence::weekly) {
        // Only what stops a backup mails at once: a degraded source or a new file waits for the
        // digest.
        if (run.status == RunStatus::failed) {
            decision.reasons.push_back("the run failed");
        }
        for (const report::SourceResult& source : run.sources) {
            if (source.outcome == Outcome::failed) {
                decision.reasons.push_back(printable_name(source.name) + " failed");
            }
        }
    } else {
        decision.reasons = trouble(run);
    }
    if (cadence == MailCadence::on_change) {
        std::vector<std::string> changed = changes(run, previous);
        decision.reasons.insert(decision.reasons.end(), changed.begin(), changed.end());
    }
    if (!decision.reasons.empty()) {
        return decision;
    }
    if (!last_sent) {
        decision.reasons.push_back("weekly digest: no mail was sent before");
        return decision;
    }
    if (run.started_at - *last_sent >= digest_interval) {
        decision.reasons.push_back("weekly digest: no mail since " + utc_day(*last_sent));
        return decision;
    }
    decision.send = false;
    decision.reasons.push_back("nothing went wrong or changed; the next digest is due " +
                               utc_day(*last_sent + digest_interval) + " ([mail] send = \"" +
                               std::string(to_string(cadence)) + "\")");
    return decision;
}

} // namespace offstage::mail
