#include "stager/report/report_json.hpp"

#include "platform/staging_layout.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace offstage::report {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;
namespace layout = platform::staging_layout;

constexpr std::array<std::string_view, 8> source_kinds = {
    "files", "system", "catalog", "spool", "mariadb", "postgresql", "sqlite", "afs"};

[[noreturn]] void fail(const std::string& field, const std::string& what) {
    throw ReportJsonError("report.json: " + field + ": " + what);
}

// A source's name is an artifact name without its extensions: "files" stands for
// "files.tar.zst.age", "db/mariadb/sales" for "db/mariadb/sales.sql.zst.age".
bool is_source_name(std::string_view name) {
    return !name.empty() && staging::is_artifact_name(std::string(name) + ".age");
}

bool is_version(std::string_view version) {
    return !version.empty() && version.size() <= 64 &&
           std::all_of(version.begin(), version.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '+' || c == '~' || c == '-' || c == ':';
           });
}

double milliseconds(double seconds) {
    return std::round(seconds * 1000.0) / 1000.0;
}

std::string rfc3339(std::chrono::sys_seconds when) {
    auto days = std::chrono::floor<std::chrono::days>(when);
    std::chrono::year_month_day date(days);
    std::chrono::hh_mm_ss time(when - days);
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                  int(time.minutes().count()), int(time.seconds().count()));
    return text;
}

// Exactly "YYYY-MM-DDTHH:MM:SSZ", as rfc3339() writes it.
std::optional<std::chrono::sys_seconds> parse_rfc3339(std::string_view text) {
    if (text.size() != 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' ||
        text[13] != ':' || text[16] != ':' || text[19] != 'Z') {
        return std::nullopt;
    }
    auto number = [&](std::size_t at, std::size_t length) -> std::optional<int> {
        int value = 0;
        for (std::size_t i = at; i < at + length; ++i) {
            if (text[i] < '0' || text[i] > '9') {
                return std::nullopt;
            }
            value = value * 10 + (text[i] - '0');
        }
        return value;
    };
    auto year = number(0, 4);
    auto month = number(5, 2);
    auto day = number(8, 2);
    auto hour = number(11, 2);
    auto minute = number(14, 2);
    auto second = number(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
        *second > 59) {
        return std::nullopt;
    }
    std::chrono::year_month_day date{std::chrono::year(*year),
                                     std::chrono::month(static_cast<unsigned>(*month)),
                                     std::chrono::day(static_cast<unsigned>(*day))};
    if (!date.ok()) {
        return std::nullopt;
    }
    return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
           std::chrono::seconds(*second);
}

// The checks every Report passes before it is written and after it is read.
void validate(const Report& report) {
    if (!is_version(report.offstage_version)) {
        fail("offstage_version", "not one word of [A-Za-z0-9.+~:-] (at most 64 bytes)");
    }
    if (!layout::is_day_name(report.day)) {
        fail("day", "not a day (YYYY-MM-DD)");
    }
    if (report.status != RunStatus::complete && report.status != RunStatus::degraded) {
        fail("status", "a failed run publishes nothing and has no report");
    }
    ReportTotals sums;
    bool any_not_ok = false;
    for (std::size_t i = 0; i < report.sources.size(); ++i) {
        const ReportSource& source = report.sources[i];
        std::string at = "sources[" + std::to_string(i) + "]";
        if (!is_source_name(source.name)) {
            fail(at + ".name", "not an artifact stem of the grammar");
        }
        if (std::find(source_kinds.begin(), source_kinds.end(), source.kind) ==
            source_kinds.end()) {
            fail(at + ".kind", "not one of files, system, spool, mariadb, postgresql, sqlite, afs");
        }
        any_not_ok = any_not_ok || source.outcome != Outcome::ok;
        if (!(source.duration_seconds >= 0) || !std::isfinite(source.duration_seconds)) {
            fail(at + ".duration_seconds", "not a non-negative number");
        }
        for (std::size_t j = 0; j < source.artifacts.size(); ++j) {
            const ReportArtifact& artifact = source.artifacts[j];
            if (!staging::is_artifact_name(artifact.name)) {
                fail(at + ".artifacts[" + std::to_string(j) + "].name",
                     "not an artifact name of the grammar");
            }
            ++sums.artifacts;
            sums.bytes += artifact.bytes;
            sums.reused_artifacts += artifact.reused ? 1 : 0;
        }
    }
    if ((report.status == RunStatus::degraded) != any_not_ok) {
        fail("status", "does not match the sources' outcomes");
    }
    if (!(report.duration_seconds >= 0) || !std::isfinite(report.duration_seconds)) {
        fail("duration_seconds", "not a non-negative number");
    }
    if (report.finished_at < report.started_at) {
        fail("finished_at", "before started_at");
    }
    if (report.totals.artifacts != sums.artifacts || report.totals.bytes != sums.bytes ||
        report.totals.reused_artifacts != sums.reused_artifacts) {
        fail("totals", "do not add up to the sources' artifacts");
    }
    if (report.totals.new_annoying_files > report.totals.annoying_files) {
        fail("totals.new_annoying_files", "more than totals.annoying_files");
    }
}

// Reading: each accessor names the field it was looking for.
const Json& member(const Json& object, const std::string& at, const char* key) {
    auto found = object.find(key);
    if (found == object.end()) {
        fail(at.empty() ? key : at + "." + key, "missing");
    }
    return *found;
}

std::string path_of(const std::string& at, const char* key) {
    return at.empty() ? key : at + "." + key;
}

std::string string_member(const Json& object, const std::string& at, const char* key) {
    const Json& value = member(object, at, key);
    if (!value.is_string()) {
        fail(path_of(at, key), "not a string");
    }
    return value.get<std::string>();
}

std::uint64_t count_member(const Json& object, const std::string& at, const char* key) {
    const Json& value = member(object, at, key);
    if (!value.is_number_unsigned()) {
        fail(path_of(at, key), "not a non-negative integer");
    }
    return value.get<std::uint64_t>();
}

double number_member(const Json& object, const std::string& at, const char* key) {
    const Json& value = member(object, at, key);
    if (!value.is_number()) {
        fail(path_of(at, key), "not a number");
    }
    return value.get<double>();
}

const Json& array_member(const Json& object, const std::string& at, const char* key) {
    const Json& value = member(object, at, key);
    if (!value.is_array()) {
        fail(path_of(at, key), "not an array");
    }
    return value;
}

const Json& object_member(const Json& object, const std::string& at, const char* key) {
    const Json& value = member(object, at, key);
    if (!value.is_object()) {
        fail(path_of(at, key), "not an object");
    }
    return value;
}

std::chrono::sys_seconds time_member(const Json& object, const char* key) {
    auto when = parse_rfc3339(string_member(object, "", key));
    if (!when) {
        fail(key, "not an RFC 3339 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    }
    return *when;
}

template <typename Enum, std::size_t N>
Enum enum_member(const Json& object, const std::string& at, const char* key,
                 const std::array<Enum, N>& values) {
    std::string text = string_member(object, at, key);
    for (Enum value : values) {
        if (to_string(value) == text) {
            return value;
        }
    }
    fail(path_of(at, key), "not one of the documented values");
}

ReportSource parse_source(const Json& object, const std::string& at) {
    if (!object.is_object()) {
        fail(at, "not an object");
    }
    ReportSource source;
    source.name = string_member(object, at, "name");
    source.kind = string_member(object, at, "kind");
    source.outcome = enum_member(object, at, "outcome", all_outcomes);
    const Json& reasons = array_member(object, at, "reasons");
    for (std::size_t i = 0; i < reasons.size(); ++i) {
        std::string here = at + ".reasons[" + std::to_string(i) + "]";
        if (!reasons[i].is_string()) {
            fail(here, "not a string");
        }
        auto found =
            std::find_if(all_reason_codes.begin(), all_reason_codes.end(), [&](ReasonCode code) {
                return to_string(code) == reasons[i].get<std::string>();
            });
        if (found == all_reason_codes.end()) {
            fail(here, "not a documented reason code");
        }
        source.reasons.push_back(*found);
    }
    const Json& artifacts = array_member(object, at, "artifacts");
    for (std::size_t i = 0; i < artifacts.size(); ++i) {
        std::string here = at + ".artifacts[" + std::to_string(i) + "]";
        if (!artifacts[i].is_object()) {
            fail(here, "not an object");
        }
        ReportArtifact artifact;
        artifact.name = string_member(artifacts[i], here, "name");
        artifact.bytes = count_member(artifacts[i], here, "bytes");
        const Json& reused = member(artifacts[i], here, "reused");
        if (!reused.is_boolean()) {
            fail(here + ".reused", "not a boolean");
        }
        artifact.reused = reused.get<bool>();
        source.artifacts.push_back(std::move(artifact));
    }
    source.duration_seconds = number_member(object, at, "duration_seconds");
    source.problems = count_member(object, at, "problems");
    return source;
}

} // namespace

Report report_of(const RunResult& run) {
    Report report;
    report.offstage_version = run.offstage_version;
    report.day = run.day;
    report.status = run.status;
    report.started_at = std::chrono::floor<std::chrono::seconds>(run.started_at);
    report.finished_at = std::chrono::floor<std::chrono::seconds>(run.finished_at);
    report.duration_seconds =
        milliseconds(std::chrono::duration<double>(run.finished_at - run.started_at).count());
    for (const SourceResult& source : run.sources) {
        ReportSource entry;
        entry.name = source.name;
        entry.kind = source.kind;
        entry.outcome = source.outcome;
        for (const Problem& problem : source.problems) {
            if (std::find(entry.reasons.begin(), entry.reasons.end(), problem.code) ==
                entry.reasons.end()) {
                entry.reasons.push_back(problem.code);
            }
        }
        for (const ArtifactRecord& artifact : source.artifacts) {
            entry.artifacts.push_back({artifact.name, artifact.bytes, artifact.reused});
        }
        entry.duration_seconds = milliseconds(source.duration.count());
        entry.problems = source.problems.size();
        report.sources.push_back(std::move(entry));
    }
    report.totals.artifacts = run.total_artifacts();
    report.totals.bytes = run.total_bytes();
    report.totals.reused_artifacts = run.reused_artifacts();
    report.totals.annoying_files = run.annoying_files.size();
    report.totals.new_annoying_files = run.new_annoying_files.size();
    validate(report);
    return report;
}

std::string render_report_json(const Report& report) {
    validate(report);
    OrderedJson json;
    json["format"] = report_format;
    json["offstage_version"] = report.offstage_version;
    json["day"] = report.day;
    json["status"] = to_string(report.status);
    json["started_at"] = rfc3339(report.started_at);
    json["finished_at"] = rfc3339(report.finished_at);
    json["duration_seconds"] = report.duration_seconds;
    json["sources"] = OrderedJson::array();
    for (const ReportSource& source : report.sources) {
        OrderedJson entry;
        entry["name"] = source.name;
        entry["kind"] = source.kind;
        entry["outcome"] = to_string(source.outcome);
        entry["reasons"] = OrderedJson::array();
        for (ReasonCode code : source.reasons) {
            entry["reasons"].push_back(to_string(code));
        }
        entry["artifacts"] = OrderedJson::array();
        for (const ReportArtifact& artifact : source.artifacts) {
            entry["artifacts"].push_back(
                {{"name", artifact.name}, {"bytes", artifact.bytes}, {"reused", artifact.reused}});
        }
        entry["duration_seconds"] = source.duration_seconds;
        entry["problems"] = source.problems;
        json["sources"].push_back(std::move(entry));
    }
    json["totals"] = {{"artifacts", report.totals.artifacts},
                      {"bytes", report.totals.bytes},
                      {"reused_artifacts", report.totals.reused_artifacts},
                      {"annoying_files", report.totals.annoying_files},
                      {"new_annoying_files", report.totals.new_annoying_files}};
    // ensure_ascii: every value is ASCII already (validated); this is the second fence.
    return json.dump(2, ' ', true) + "\n";
}

std::string render_report_json(const RunResult& run) {
    return render_report_json(report_of(run));
}

Report parse_report_json(std::string_view text) {
    Json json;
    try {
        json = Json::parse(text);
    } catch (const Json::parse_error& error) {
        // The library's message may quote the bytes it choked on: give the position only.
        fail("not JSON", "syntax error at byte " + std::to_string(error.byte));
    }
    if (!json.is_object()) {
        fail("top level", "not an object");
    }
    // The format first: a reader of offstage-report/1 knows nothing of any other.
    if (string_member(json, "", "format") != report_format) {
        fail("format", "not \"" + std::string(report_format) + "\" (another format or version)");
    }
    Report report;
    report.offstage_version = string_member(json, "", "offstage_version");
    report.day = string_member(json, "", "day");
    std::string status = string_member(json, "", "status");
    if (status == to_string(RunStatus::complete)) {
        report.status = RunStatus::complete;
    } else if (status == to_string(RunStatus::degraded)) {
        report.status = RunStatus::degraded;
    } else {
        fail("status", "not \"complete\" or \"degraded\"");
    }
    report.started_at = time_member(json, "started_at");
    report.finished_at = time_member(json, "finished_at");
    report.duration_seconds = number_member(json, "", "duration_seconds");
    const Json& sources = array_member(json, "", "sources");
    for (std::size_t i = 0; i < sources.size(); ++i) {
        report.sources.push_back(parse_source(sources[i], "sources[" + std::to_string(i) + "]"));
    }
    const Json& totals = object_member(json, "", "totals");
    report.totals.artifacts = count_member(totals, "totals", "artifacts");
    report.totals.bytes = count_member(totals, "totals", "bytes");
    report.totals.reused_artifacts = count_member(totals, "totals", "reused_artifacts");
    report.totals.annoying_files = count_member(totals, "totals", "annoying_files");
    report.totals.new_annoying_files = count_member(totals, "totals", "new_annoying_files");
    validate(report);
    return report;
}

} // namespace offstage::report
