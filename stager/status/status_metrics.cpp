#include "stager/status/status_metrics.hpp"

#include "platform/printable_name.hpp"

#include <cstdio>
#include <set>

namespace offstage::status {
namespace {

using Clock = std::chrono::system_clock;

std::string seconds_of(std::optional<Clock::time_point> when) {
    if (!when) {
        return "0";
    }
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(when->time_since_epoch()).count());
}

std::string number(double value) {
    char text[64];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

// A label value: printable (a source name is the admin's, but it is still bytes), then the
// exposition format's escapes.
std::string label(std::string_view value) {
    std::string out;
    for (char c : platform::printable_name(value)) {
        if (c == '\\' || c == '"') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

class Textfile {
public:
    void metric(std::string_view name, std::string_view type, std::string_view help) {
        text_ += "# HELP " + std::string(name) + " " + std::string(help) + "\n";
        text_ += "# TYPE " + std::string(name) + " " + std::string(type) + "\n";
    }
    void sample(std::string_view name, const std::string& value, std::string_view labels = {}) {
        text_ += std::string(name);
        if (!labels.empty()) {
            text_ += "{" + std::string(labels) + "}";
        }
        text_ += " " + value + "\n";
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

// How many of the newest runs, one after the other, had `source` failed.
std::size_t consecutive_failures(const std::vector<catalog::RecordedRun>& runs,
                                 const std::string& source) {
    std::size_t count = 0;
    for (const catalog::RecordedRun& recorded : runs) {
        const report::SourceResult* found = nullptr;
        for (const report::SourceResult& candidate : recorded.run.sources) {
            if (candidate.name == source) {
                found = &candidate;
            }
        }
        if (found == nullptr || found->outcome != report::Outcome::failed) {
            break;
        }
        ++count;
    }
    return count;
}

} // namespace

std::string render_metrics(const StatusSnapshot& snapshot) {
    Textfile out;
    const std::vector<catalog::RecordedRun>& runs = snapshot.runs;
    std::optional<Clock::time_point> last_run, last_success, last_complete;
    for (const catalog::RecordedRun& recorded : runs) {
        const report::RunResult& run = recorded.run;
        if (!last_run) {
            last_run = run.finished_at;
        }
        if (!last_success && run.status != report::RunStatus::failed) {
            last_success = run.finished_at;
        }
        if (!last_complete && run.status == report::RunStatus::complete) {
            last_complete = run.finished_at;
        }
    }

    out.metric("offstage_last_run_timestamp_seconds", "gauge",
               "When the newest recorded run finished (0: no run yet).");
    out.sample("offstage_last_run_timestamp_seconds", seconds_of(last_run));
    out.metric("offstage_last_success_timestamp_seconds", "gauge",
               "When the newest run that published a tree (complete or degraded) finished (0: "
               "never).");
    out.sample("offstage_last_success_timestamp_seconds", seconds_of(last_success));
    out.metric("offstage_last_complete_timestamp_seconds", "gauge",
               "When the newest run with every source ok finished (0: never).");
    out.sample("offstage_last_complete_timestamp_seconds", seconds_of(last_complete));

    out.metric("offstage_last_run_status", "gauge",
               "1 for the status of the newest run (complete, degraded, failed), 0 for the "
               "others.");
    for (report::RunStatus status :
         {report::RunStatus::complete, report::RunStatus::degraded, report::RunStatus::failed}) {
        bool is = !runs.empty() && runs.front().run.status == status;
        out.sample("offstage_last_run_status", is ? "1" : "0",
                   "status=\"" + std::string(report::to_string(status)) + "\"");
    }

    // The sources of the newest run that ran any (a run that failed before its sources has
    // none).
    const report::RunResult* with_sources = nullptr;
    for (const catalog::RecordedRun& recorded : runs) {
        if (!recorded.run.sources.empty()) {
            with_sources = &recorded.run;
            break;
        }
    }
    out.metric("offstage_source_outcome", "gauge",
               "1 for the outcome of each source in the newest run that ran sources (ok, "
               "degraded, failed), 0 for the others.");
    if (with_sources != nullptr) {
        for (const report::SourceResult& source : with_sources->sources) {
            for (report::Outcome outcome :
                 {report::Outcome::ok, report::Outcome::degraded, report::Outcome::failed}) {
                out.sample("offstage_source_outcome", source.outcome == outcome ? "1" : "0",
                           "source=\"" + label(source.name) + "\",outcome=\"" +
                               std::string(report::to_string(outcome)) + "\"");
            }
        }
    }
    out.metric("offstage_source_bytes", "gauge",
               "Bytes of the artifacts of each source in that run.");
    if (with_sources != nullptr) {
        for (const report::SourceResult& source : with_sources->sources) {
            std::uint64_t bytes = 0;
            for (const report::ArtifactRecord& artifact : source.artifacts) {
                bytes += artifact.bytes;
            }
            out.sample("offstage_source_bytes", std::to_string(bytes),
                       "source=\"" + label(source.name) + "\"");
        }
    }
    out.metric("offstage_source_duration_seconds", "gauge",
               "Wall time of each source in that run.");
    if (with_sources != nullptr) {
        for (const report::SourceResult& source : with_sources->sources) {
            out.sample("offstage_source_duration_seconds", number(source.duration.count()),
                       "source=\"" + label(source.name) + "\"");
        }
    }
    out.metric("offstage_source_consecutive_failures", "gauge",
               "How many of the newest runs in a row had this source failed (0: the newest "
               "did not).");
    if (with_sources != nullptr) {
        for (const report::SourceResult& source : with_sources->sources) {
            out.sample("offstage_source_consecutive_failures",
                       std::to_string(consecutive_failures(runs, source.name)),
                       "source=\"" + label(source.name) + "\"");
        }
    }

    const AnnoyingSummary& annoying = snapshot.annoying;
    out.metric("offstage_annoying_files", "gauge",
               "Annoying files in the newest scan (docs/selection.md).");
    out.sample("offstage_annoying_files", std::to_string(annoying.current));
    out.metric("offstage_annoying_files_new", "gauge",
               "Annoying files of the newest scan first seen by it.");
    out.sample("offstage_annoying_files_new", std::to_string(annoying.fresh));
    out.metric("offstage_annoying_files_gone", "gauge",
               "Annoying files of the scan before the newest that the newest no longer lists.");
    out.sample("offstage_annoying_files_gone", std::to_string(annoying.gone));

    const report::PullCheck& pulls = snapshot.pull_check;
    out.metric("offstage_newest_tree_timestamp_seconds", "gauge",
               "When the newest published tree was published (0: none).");
    out.sample("offstage_newest_tree_timestamp_seconds", seconds_of(pulls.newest_published_at));
    out.metric("offstage_last_pull_timestamp_seconds", "gauge",
               "When a pull of the whole newest tree last ended with status 0 (0: not pulled "
               "since it was published).");
    out.sample("offstage_last_pull_timestamp_seconds", seconds_of(pulls.newest_pulled_at));
    out.metric("offstage_pull_waiting_since_timestamp_seconds", "gauge",
               "When the oldest tree the provider has not pulled was published (0: the "
               "provider has the newest tree).");
    out.sample("offstage_pull_waiting_since_timestamp_seconds", seconds_of(pulls.waiting_since));
    out.metric("offstage_pull_overdue", "gauge",
               "1 when a published tree has waited for its pull longer than [status] "
               "pull_deadline at the time this file was written.");
    out.sample("offstage_pull_overdue", pulls.overdue ? "1" : "0");
    out.metric("offstage_pull_deadline_seconds", "gauge", "[status] pull_deadline.");
    out.sample("offstage_pull_deadline_seconds", std::to_string(pulls.deadline.count()));

    out.metric("offstage_complete_trees", "gauge", "Complete trees in the served staging root.");
    out.sample("offstage_complete_trees", std::to_string(snapshot.trees.complete_days.size()));
    out.metric("offstage_catalog_size_bytes", "gauge",
               "Size of the catalog with its write-ahead log.");
    out.sample("offstage_catalog_size_bytes", std::to_string(snapshot.catalog_bytes));
    return out.take();
}

} // namespace offstage::status
