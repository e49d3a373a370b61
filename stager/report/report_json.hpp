// report.json (docs/staging-tree.md, "report.json"): the plain summary of a published day. It
// is rendered from a Report, a projection of the RunResult that by construction holds no free
// text: only fixed codes, the day, the version, numbers, and names of the artifact grammar. A
// problem's detail (which may name host paths) has no field to go to, so it cannot leak.
#pragma once

#include "stager/report/run_result.hpp"

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::report {

inline constexpr std::string_view report_format = "offstage-report/1";

class ReportJsonError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ReportArtifact {
    std::string name; // an artifact name of the grammar
    std::uint64_t bytes = 0;
    bool reused = false;
    bool operator==(const ReportArtifact&) const = default;
};

struct ReportSource {
    std::string name; // the artifact stem: "files", "spool-mail", "db/mariadb/sales"
    std::string kind; // one of the kinds of the spec
    Outcome outcome = Outcome::ok;
    std::vector<ReasonCode> reasons; // distinct, in the order they first occurred
    std::vector<ReportArtifact> artifacts;
    double duration_seconds = 0;
    std::uint64_t problems = 0;
    bool operator==(const ReportSource&) const = default;
};

struct ReportTotals {
    std::uint64_t artifacts = 0;
    std::uint64_t bytes = 0;
    std::uint64_t reused_artifacts = 0;
    std::uint64_t annoying_files = 0;
    std::uint64_t new_annoying_files = 0;
    bool operator==(const ReportTotals&) const = default;
};

struct Report {
    std::string offstage_version;
    std::string day;
    RunStatus status = RunStatus::complete; // complete or degraded: a failed run has no report
    std::chrono::sys_seconds started_at{};
    std::chrono::sys_seconds finished_at{};
    double duration_seconds = 0; // milliseconds precision
    std::vector<ReportSource> sources;
    ReportTotals totals;
    bool operator==(const Report&) const = default;
};

// The projection of a published run. Throws ReportJsonError when the run failed (nothing is
// published, so there is no report) or when a field would carry something the schema does not
// allow: a day that is not a day, a source or artifact name outside the grammar, an unknown
// kind, a version that is not one printable word.
Report report_of(const RunResult& run);

// The JSON text of docs/staging-tree.md: UTF-8 (in fact ASCII), fields in the documented order,
// two-space indentation, a final newline. Validates as report_of does.
std::string render_report_json(const Report& report);
std::string render_report_json(const RunResult& run);

// Reads report.json back, strictly: `format` must be "offstage-report/1" (any other value is
// refused before anything else is read), every documented field must be present with its type
// and an allowed value. Fields a later offstage-report/1 writer adds are ignored. Throws
// ReportJsonError naming the field ("report.json: sources[1].outcome: ...").
Report parse_report_json(std::string_view text);

} // namespace offstage::report
