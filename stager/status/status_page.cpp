#include "stager/status/status_page.hpp"

#include "platform/printable_name.hpp"
#include "stager/status/text_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <openssl/evp.h>
#include <set>
#include <stdexcept>

namespace offstage::status {
namespace {

using Clock = std::chrono::system_clock;
using report::Outcome;
using report::RunResult;
using report::RunStatus;
using report::SourceResult;

// Series colours by class, so no style attribute is needed (a strict CSP refuses those).
const std::string stylesheet = R"css(
body { font-family: sans-serif; margin: 1.5em; color: #222; background: #fff; max-width: 64em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.15em 0.6em; vertical-align: top; border-bottom: 1px solid #eee; }
td.number, th.number { text-align: right; }
code { background: #f3f3f3; padding: 0 0.25em; }
.complete, .ok, .pulled { color: #1a7f37; }
.degraded { color: #9a6700; }
.failed, .overdue { color: #cf222e; font-weight: bold; }
.waiting { color: #9a6700; }
.muted { color: #666; }
svg { display: block; margin: 0.5em 0; }
svg text { font-size: 11px; fill: #444; }
svg text.caption { font-size: 12px; font-weight: bold; fill: #222; }
.charts { display: flex; flex-wrap: wrap; column-gap: 1em; }
svg .axis { stroke: #888; stroke-width: 1; }
svg .grid { stroke: #eee; stroke-width: 1; }
svg polyline { fill: none; stroke-width: 1.5; }
svg .s0 { stroke: #0969da; fill: #0969da; }
svg .s1 { stroke: #bf3989; fill: #bf3989; }
svg .s2 { stroke: #1a7f37; fill: #1a7f37; }
svg .s3 { stroke: #9a6700; fill: #9a6700; }
svg .s4 { stroke: #8250df; fill: #8250df; }
svg .s5 { stroke: #cf222e; fill: #cf222e; }
svg .s6 { stroke: #57606a; fill: #57606a; }
svg .s7 { stroke: #0a3069; fill: #0a3069; }
svg polyline.s0, svg polyline.s1, svg polyline.s2, svg polyline.s3, svg polyline.s4,
svg polyline.s5, svg polyline.s6, svg polyline.s7 { fill: none; }
svg rect.complete { fill: #1a7f37; }
svg rect.degraded { fill: #d4a72c; }
svg rect.failed { fill: #cf222e; }
)css";

std::string html(std::string_view text) {
    std::string out;
    for (char c : platform::printable_name(text)) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

// An id from a day ("run-2026-11-22"): days match the day grammar, anything else is dropped.
std::string anchor(std::string_view prefix, std::string_view day) {
    std::string id(prefix);
    for (char c : day) {
        if ((c >= '0' && c <= '9') || c == '-') {
            id += c;
        }
    }
    return id;
}

std::string fixed(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", value);
    return text;
}

double unix_seconds(Clock::time_point when) {
    return std::chrono::duration<double>(when.time_since_epoch()).count();
}

std::string day_of(double seconds) {
    return rfc3339(Clock::time_point(std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(seconds))))
        .substr(0, 10);
}

std::uint64_t source_bytes(const SourceResult& source) {
    std::uint64_t bytes = 0;
    for (const report::ArtifactRecord& artifact : source.artifacts) {
        bytes += artifact.bytes;
    }
    return bytes;
}

std::string reasons(const SourceResult& source) {
    std::vector<std::string_view> codes;
    for (const report::Problem& problem : source.problems) {
        std::string_view code = report::to_string(problem.code);
        if (std::find(codes.begin(), codes.end(), code) == codes.end()) {
            codes.push_back(code);
        }
    }
    std::string text;
    for (std::string_view code : codes) {
        text += (text.empty() ? "" : ", ") + std::string(code);
    }
    return text;
}

struct Series {
    std::string name;
    std::vector<std::pair<double, double>> points; // (unix seconds, value), oldest first
};

// Where a chart draws: its size, the plot area inside it, and whether it has a legend (a wide
// chart of several series) or a caption (one of the small charts, one series each).
struct ChartBox {
    int width, height;
    double left, right, top, bottom;
    bool legend;
};
constexpr ChartBox wide_chart{760, 230, 80, 740, 15, 170, true};
constexpr ChartBox small_chart{370, 150, 70, 360, 24, 125, false};

// A line chart over time: one polyline per series (a dot per run when there are few), the
// y axis from 0 to the largest value, labelled with `label_of`. `colour`: the class of the
// first series (s0..s7); `caption`: written above a small chart's plot.
template <typename Label>
void line_chart(std::string& out, std::string_view id, std::string_view title,
                const std::vector<Series>& series, Label label_of, const ChartBox& box = wide_chart,
                std::string_view caption = {}, std::size_t colour = 0) {
    const double left = box.left, right = box.right, top = box.top, bottom = box.bottom;
    const std::string width = std::to_string(box.width), height = std::to_string(box.height);
    double x_min = INFINITY, x_max = -INFINITY, y_max = 0;
    for (const Series& s : series) {
        for (auto [x, y] : s.points) {
            x_min = std::min(x_min, x);
            x_max = std::max(x_max, x);
            y_max = std::max(y_max, y);
        }
    }
    out += "<svg" + (id.empty() ? std::string() : " id=\"" + std::string(id) + "\"") +
           " class=\"chart\" width=\"" + width + "\" height=\"" + height + "\" viewBox=\"0 0 " +
           width + " " + height + "\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">";
    out += "<title>" + html(title) + "</title>";
    if (!caption.empty()) {
        out += "<text class=\"caption\" x=\"" + fixed(left) + "\" y=\"" + fixed(top - 10) + "\">" +
               html(caption) + "</text>";
    }
    if (!std::isfinite(x_min)) {
        out += "<text x=\"" + fixed(left) + "\" y=\"" + fixed((top + bottom) / 2) +
               "\">no runs yet</text></svg>\n";
        return;
    }
    if (x_max <= x_min) {
        x_min -= 43200;
        x_max += 43200;
    }
    if (y_max <= 0) {
        y_max = 1;
    }
    y_max *= 1.1;
    auto px = [&](double x) { return left + (x - x_min) / (x_max - x_min) * (right - left); };
    auto py = [&](double y) { return bottom - y / y_max * (bottom - top); };
    for (int tick = 0; tick <= 4; ++tick) {
        double value = y_max * tick / 4;
        std::string y = fixed(py(value));
        out += "<line class=\"grid\" x1=\"" + fixed(left) + "\" y1=\"" + y + "\" x2=\"" +
               fixed(right) + "\" y2=\"" + y + "\"/>";
        out += "<text x=\"" + fixed(left - 6) + "\" y=\"" + y + "\" text-anchor=\"end\">" +
               html(label_of(value)) + "</text>";
    }
    out += "<line class=\"axis\" x1=\"" + fixed(left) + "\" y1=\"" + fixed(bottom) + "\" x2=\"" +
           fixed(right) + "\" y2=\"" + fixed(bottom) + "\"/>";
    out += "<text x=\"" + fixed(left) + "\" y=\"" + fixed(bottom + 14) + "\">" + day_of(x_min) +
           "</text>";
    out += "<text x=\"" + fixed(right) + "\" y=\"" + fixed(bottom + 14) +
           "\" text-anchor=\"end\">" + day_of(x_max) + "</text>";
    for (std::size_t i = 0; i < series.size(); ++i) {
        const Series& s = series[i];
        std::string klass = "s" + std::to_string((colour + i) % 8);
        out += "<polyline class=\"" + klass + "\" points=\"";
        for (auto [x, y] : s.points) {
            out += fixed(px(x)) + "," + fixed(py(y)) + " ";
        }
        out += "\"/>";
        if (s.points.size() <= 60) {
            for (auto [x, y] : s.points) {
                out += "<circle class=\"" + klass + "\" cx=\"" + fixed(px(x)) + "\" cy=\"" +
                       fixed(py(y)) + "\" r=\"2.5\"/>";
            }
        }
        if (!box.legend) {
            continue;
        }
        double legend_x = left + static_cast<double>(i % 4) * 165;
        double legend_y = bottom + 32 + static_cast<double>(i / 4) * 14;
        out += "<rect class=\"" + klass + "\" x=\"" + fixed(legend_x) + "\" y=\"" +
               fixed(legend_y - 8) + "\" width=\"10\" height=\"10\"/>";
        out += "<text x=\"" + fixed(legend_x + 14) + "\" y=\"" + fixed(legend_y) + "\">" +
               html(s.name) + "</text>";
    }
    out += "</svg>\n";
}

// One small chart per series, each on a scale of its own: a source of megabytes beside one of
// gigabytes still shows its changes (a dump that shrank by half), where one shared axis drew it
// as a flat line at zero.
template <typename Label>
void small_multiples(std::string& out, std::string_view id, std::string_view title,
                     const std::vector<Series>& series, Label label_of) {
    out += "<div id=\"" + std::string(id) + "\" class=\"charts\" role=\"group\" aria-label=\"" +
           html(title) + "\">\n";
    if (series.empty()) {
        line_chart(out, {}, title, series, label_of, small_chart);
    }
    for (std::size_t i = 0; i < series.size(); ++i) {
        line_chart(out, {}, std::string(title) + ": " + series[i].name, {series[i]}, label_of,
                   small_chart, series[i].name, i);
    }
    out += "</div>\n";
}

// One mark per run, oldest left, coloured by its status.
void outcome_strip(std::string& out, const std::vector<catalog::RecordedRun>& runs) {
    out += "<svg id=\"plot-outcomes\" class=\"chart\" width=\"760\" height=\"40\" "
           "viewBox=\"0 0 760 40\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\">"
           "<title>Outcome of each run, oldest left</title>";
    double step = runs.empty() ? 0 : 660.0 / static_cast<double>(runs.size());
    double x = 80;
    for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        std::string status(report::to_string(it->run.status));
        out += "<rect class=\"" + status + "\" x=\"" + fixed(x) + "\" y=\"5\" width=\"" +
               fixed(std::max(step - 1, 0.5)) + "\" height=\"25\"><title>" + html(it->run.day) +
               " " + status + "</title></rect>";
        x += step;
    }
    out += "</svg>\n";
}

// The names of the sources over the history, in the order first met (newest run first), at
// most 24 small charts of each kind (a spool or a database server each is a source).
std::vector<std::string> source_names(const std::vector<catalog::RecordedRun>& runs) {
    std::vector<std::string> names;
    for (const catalog::RecordedRun& recorded : runs) {
        for (const SourceResult& source : recorded.run.sources) {
            if (names.size() < 24 &&
                std::find(names.begin(), names.end(), source.name) == names.end()) {
                names.push_back(source.name);
            }
        }
    }
    return names;
}

template <typename Value>
std::vector<Series> per_source(const std::vector<catalog::RecordedRun>& runs, Value value_of) {
    std::vector<Series> series;
    for (const std::string& name : source_names(runs)) {
        Series s{name, {}};
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
            for (const SourceResult& source : it->run.sources) {
                if (source.name == name) {
                    s.points.emplace_back(unix_seconds(it->run.started_at), value_of(source));
                }
            }
        }
        series.push_back(std::move(s));
    }
    return series;
}

class Page {
public:
    explicit Page(const StatusSnapshot& snapshot)
        : s_(snapshot) {}

    std::string render() {
        head();
        summary();
        problems();
        retention_runs();
        history();
        annoying();
        pulls();
        out_ += "<footer><p class=\"muted\">Written " + rfc3339(s_.now) +
                " by offstage status. Catalog: " +
                (s_.catalog_exists ? human_bytes(s_.catalog_bytes) : std::string("none yet")) +
                ".</p></footer>\n</body>\n</html>\n";
        return std::move(out_);
    }

private:
    void head() {
        std::string host = s_.host.empty() ? std::string("this host") : s_.host;
        out_ += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
        out_ += "<meta http-equiv=\"Content-Security-Policy\" content=\"" +
                page_content_security_policy() + "\">\n";
        out_ += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
        out_ += "<title>offstage on " + html(host) + "</title>\n";
        out_ += "<style>" + stylesheet + "</style>\n</head>\n<body>\n";
        out_ += "<header><h1>offstage on " + html(host) + "</h1></header>\n";
    }

    void summary() {
        out_ += "<section id=\"summary\">\n";
        if (s_.runs.empty()) {
            out_ += "<p id=\"newest-run\">Newest run: <span class=\"muted\">no run recorded "
                    "yet</span></p>\n";
        } else {
            const RunResult& run = s_.runs.front().run;
            std::string status(report::to_string(run.status));
            out_ +=
                "<p id=\"newest-run\" data-status=\"" + status + "\">Newest run: <a href=\"#" +
                anchor("run-", run.day) + "\">" + html(run.day) + "</a>, <span class=\"" + status +
                "\">" + status + "</span>, finished " + rfc3339(run.finished_at) + " (" +
                human_duration(std::chrono::duration<double>(s_.now - run.finished_at).count()) +
                " ago)</p>\n";
        }
        out_ += "<p id=\"newest-tree\">Newest complete tree: ";
        if (!s_.trees.error.empty()) {
            out_ += "<span class=\"failed\">unknown: the staging root could not be read</span>";
        } else if (s_.trees.complete_days.empty()) {
            out_ += "<span class=\"failed\">none</span>";
        } else {
            out_ += html(s_.trees.complete_days.back());
            if (s_.trees.newest_signed_at) {
                out_ += ", signed " +
                        human_duration(
                            std::chrono::duration<double>(s_.now - *s_.trees.newest_signed_at)
                                .count()) +
                        " ago";
            }
            out_ += "; " + std::to_string(s_.trees.complete_days.size()) + " complete tree" +
                    (s_.trees.complete_days.size() == 1 ? "" : "s") + " kept";
        }
        out_ += "</p>\n";
        const report::PullCheck& pull = s_.pull_check;
        out_ += "<p id=\"pull-state\" data-overdue=\"" + std::string(pull.overdue ? "1" : "0") +
                "\">Provider: ";
        if (pull.newest_day.empty()) {
            out_ += "<span class=\"muted\">nothing published to pull yet</span>";
        } else if (pull.newest_pulled_at) {
            out_ += "<span class=\"pulled\">pulled the newest tree " + html(pull.newest_day) +
                    "</span> at " + rfc3339(*pull.newest_pulled_at);
        } else {
            out_ += std::string("<span class=\"") + (pull.overdue ? "overdue" : "waiting") + "\">" +
                    (pull.overdue ? "NOT PULLED" : "not pulled yet") +
                    "</span>: " + "newest tree " + html(pull.newest_day) + "; ";
            if (pull.last_pulled_day.empty()) {
                out_ += "no tree pulled";
            } else {
                out_ += "last pulled tree " + html(pull.last_pulled_day);
            }
            if (pull.waiting_since) {
                out_ += ", trees waiting since " + rfc3339(*pull.waiting_since) + " (" +
                        human_duration(
                            std::chrono::duration<double>(s_.now - *pull.waiting_since).count()) +
                        "; deadline " + human_duration(static_cast<double>(pull.deadline.count())) +
                        ")";
            }
        }
        out_ += "</p>\n</section>\n";
    }

    void problem(std::string_view text_html, std::string_view command) {
        out_ += "<li>" + std::string(text_html) + " <span class=\"muted\">More:</span> <code>" +
                html(command) + "</code></li>\n";
        ++problem_count_;
    }

    void problems() {
        out_ += "<section id=\"problems\">\n<h2>Problems</h2>\n<ul>\n";
        if (!s_.runs.empty()) {
            const RunResult& run = s_.runs.front().run;
            std::string link =
                "<a href=\"#" + anchor("run-", run.day) + "\">" + html(run.day) + "</a>";
            if (run.status == RunStatus::failed) {
                std::string why = s_.show_names && !run.failure.empty()
                                      ? ": " + html(run.failure)
                                      : std::string(" (the reason names host paths: "
                                                    "offstage status shows it)");
                problem("<span class=\"failed\">The newest run " + link + " failed</span>" + why +
                            "; the provider still has the previous tree.",
                        s_.trees.complete_days.empty()
                            ? std::string("offstage status")
                            : "offstage verify " + s_.trees.complete_days.back());
            }
            for (const SourceResult& source : run.sources) {
                if (source.outcome == Outcome::ok) {
                    continue;
                }
                std::string outcome(report::to_string(source.outcome));
                std::string codes = reasons(source);
                problem("Source " + html(source.name) + " <span class=\"" + outcome + "\">" +
                            outcome + "</span>" + (codes.empty() ? "" : " (" + codes + ")") +
                            " in " + link + ".",
                        run.status == RunStatus::failed ? std::string("offstage status")
                                                        : "offstage verify " + run.day);
            }
        }
        if (s_.pull_check.overdue) {
            problem("<span class=\"overdue\">The provider has not pulled a tree published " +
                        rfc3339(*s_.pull_check.waiting_since) + " (" +
                        html(s_.pull_check.waiting_day) + ") within the deadline.</span>",
                    "offstage-shell --check");
        }
        if (!s_.trees.error.empty()) {
            problem("<span class=\"failed\">The staging root " + html(s_.staging_root.string()) +
                        " could not be read.</span>",
                    "offstage status");
        }
        for (const DirectoryCount& group : s_.annoying.fresh_directories) {
            if (problem_count_ >= 60) {
                break;
            }
            problem(std::to_string(group.files) + " new annoying file" +
                        (group.files == 1 ? "" : "s") + " in <code>" + html(group.directory) +
                        "</code>.",
                    "offstage policy explain " + group.directory);
        }
        for (const std::string& note : s_.notes) {
            problem(html(note), "offstage status");
        }
        if (problem_count_ == 0) {
            out_ += "<li class=\"ok\">None.</li>\n";
        }
        out_ += "</ul>\n</section>\n";
    }

    void run_row(const RunResult& run, std::int64_t id) {
        std::string status(report::to_string(run.status));
        out_ += "<tr id=\"" + anchor("run-", run.day) +
                (seen_.insert(run.day).second ? "" : "-" + std::to_string(id)) + "\"><td>" +
                html(run.day) + "</td><td>" + rfc3339(run.started_at) + "</td><td class=\"" +
                status + "\">" + status + "</td><td class=\"number\">" +
                human_duration(
                    std::chrono::duration<double>(run.finished_at - run.started_at).count()) +
                "</td><td class=\"number\">" + human_bytes(run.total_bytes()) + "</td><td>";
        for (const SourceResult& source : run.sources) {
            std::string outcome(report::to_string(source.outcome));
            std::string codes = reasons(source);
            out_ += html(source.name) + ": <span class=\"" + outcome + "\">" + outcome + "</span>" +
                    (codes.empty() ? "" : " (" + codes + ")") + ", " +
                    human_bytes(source_bytes(source)) + ", " +
                    human_duration(source.duration.count()) + "<br>";
        }
        if (run.sources.empty()) {
            out_ += "<span class=\"muted\">no source ran</span>";
        }
        out_ += "</td></tr>\n";
    }

    // The runs since the oldest day of the newest `keep` published days (the trees a provider
    // can still pull), failed runs between them included.
    void retention_runs() {
        std::set<std::string> published;
        std::string oldest;
        for (const catalog::RecordedRun& recorded : s_.runs) {
            if (recorded.run.status != RunStatus::failed && published.size() < s_.keep &&
                published.insert(recorded.run.day).second) {
                oldest = recorded.run.day;
            }
        }
        out_ += "<section id=\"runs\">\n<h2>Runs of the retention window</h2>\n";
        out_ += "<table>\n<thead><tr><th>Day</th><th>Started (UTC)</th><th>Status</th>"
                "<th class=\"number\">Duration</th><th class=\"number\">Size</th>"
                "<th>Sources</th></tr></thead>\n<tbody>\n";
        std::size_t shown = 0;
        for (const catalog::RecordedRun& recorded : s_.runs) {
            if ((oldest.empty() && shown >= 10) || (!oldest.empty() && recorded.run.day < oldest) ||
                shown >= 100) {
                break;
            }
            run_row(recorded.run, recorded.id);
            ++shown;
        }
        if (shown == 0) {
            out_ += "<tr><td colspan=\"6\" class=\"muted\">No run recorded yet.</td></tr>\n";
        }
        out_ += "</tbody>\n</table>\n</section>\n";
    }

    void history() {
        const auto& runs = s_.runs;
        out_ += "<section id=\"history\">\n<h2>History of the last " + std::to_string(runs.size()) +
                " run" + (runs.size() == 1 ? "" : "s") + "</h2>\n";
        outcome_strip(out_, runs);
        out_ += "<h3>Size per source</h3>\n";
        small_multiples(
            out_, "plot-sizes", "Bytes of artifacts per source and run",
            per_source(runs,
                       [](const SourceResult& source) {
                           return static_cast<double>(source_bytes(source));
                       }),
            [](double value) { return human_bytes(static_cast<std::uint64_t>(value)); });
        out_ += "<h3>Duration per source</h3>\n";
        small_multiples(
            out_, "plot-durations", "Wall time per source and run",
            per_source(runs, [](const SourceResult& source) { return source.duration.count(); }),
            [](double value) { return human_duration(value); });
        out_ += "<h3>Annoying files per run</h3>\n";
        Series annoying{"annoying files", {}};
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
            for (const SourceResult& source : it->run.sources) {
                if (auto count = source.counts.find("annoying_files");
                    count != source.counts.end()) {
                    annoying.points.emplace_back(unix_seconds(it->run.started_at),
                                                 static_cast<double>(count->second));
                }
            }
        }
        line_chart(out_, "plot-annoying", "Annoying files per run", {annoying},
                   [](double value) { return std::to_string(std::llround(value)); });
        out_ += "</section>\n";
    }

    void directory_table(const std::vector<DirectoryCount>& groups, std::string_view id) {
        out_ += "<table id=\"" + std::string(id) +
                "\">\n<thead><tr><th>Directory</th><th class=\"number\">Files</th><th>More"
                "</th></tr></thead>\n<tbody>\n";
        std::size_t shown = 0;
        for (const DirectoryCount& group : groups) {
            if (shown++ == 100) {
                out_ += "<tr><td colspan=\"3\" class=\"muted\">" +
                        std::to_string(groups.size() - 100) + " more directories</td></tr>\n";
                break;
            }
            out_ += "<tr><td><code>" + html(group.directory) + "</code>";
            for (const std::string& name : group.names) {
                out_ += "<br><code>" + html(name) + "</code>";
            }
            if (group.names.size() < group.files && !group.names.empty()) {
                out_ += "<br><span class=\"muted\">...</span>";
            }
            out_ += "</td><td class=\"number\">" + std::to_string(group.files) + "</td><td><code>" +
                    html("offstage policy explain " + group.directory) + "</code></td></tr>\n";
        }
        out_ += "</tbody>\n</table>\n";
    }

    void annoying() {
        const AnnoyingSummary& a = s_.annoying;
        out_ += "<section id=\"annoying\">\n<h2>Annoying files</h2>\n";
        if (!a.scanned) {
            out_ += "<p class=\"muted\">No run has scanned yet.</p>\n</section>\n";
            return;
        }
        out_ += "<p id=\"annoying-counts\">" + std::to_string(a.current) +
                " annoying files in the newest scan; " + std::to_string(a.fresh) + " new, " +
                std::to_string(a.gone) + " gone since the scan before it." +
                (s_.show_names ? "" : " Counts and directories only ([status] show_names).") +
                "</p>\n";
        if (!a.fresh_directories.empty()) {
            out_ += "<h3>New</h3>\n";
            directory_table(a.fresh_directories, "annoying-new");
        }
        if (!a.gone_directories.empty()) {
            out_ += "<h3>Gone</h3>\n";
            directory_table(a.gone_directories, "annoying-gone");
        }
        out_ += "</section>\n";
    }

    void pulls() {
        out_ += "<section id=\"pulls\">\n<h2>The provider's pulls</h2>\n";
        if (s_.pulls.empty()) {
            out_ += "<p class=\"muted\">No pull recorded (the forced shell's receipts: "
                    "docs/forced-shell.md).</p>\n</section>\n";
            return;
        }
        out_ += "<table>\n<thead><tr><th>Ended (UTC)</th><th>Client</th><th>Served</th>"
                "</tr></thead>\n<tbody>\n";
        std::size_t shown = 0;
        for (const catalog::PullRecord& pull : s_.pulls) {
            if (shown++ == 30) {
                break;
            }
            std::string served =
                pull.served == "*" ? std::string("the whole staging root") : html(pull.served);
            out_ += "<tr><td>" + rfc3339(pull.finished_at) + "</td><td>" + html(pull.client) +
                    "</td><td>" + served + (pull.whole ? "" : " (part)") + "</td></tr>\n";
        }
        out_ += "</tbody>\n</table>\n</section>\n";
    }

    const StatusSnapshot& s_;
    std::string out_;
    std::size_t problem_count_ = 0;
    std::set<std::string> seen_;
};

} // namespace

const std::string& page_stylesheet() {
    return stylesheet;
}

std::string page_style_hash() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(stylesheet.data(), stylesheet.size(), digest, &length, EVP_sha256(), nullptr) !=
        1) {
        throw std::runtime_error("OpenSSL SHA-256 failed");
    }
    unsigned char encoded[64] = {};
    int written = EVP_EncodeBlock(encoded, digest, static_cast<int>(length));
    return "'sha256-" +
           std::string(reinterpret_cast<char*>(encoded), static_cast<std::size_t>(written)) + "'";
}

std::string page_content_security_policy() {
    return "default-src 'none'; style-src " + page_style_hash() +
           "; base-uri 'none'; form-action 'none'";
}

std::string render_page(const StatusSnapshot& snapshot) {
    return Page(snapshot).render();
}

} // namespace offstage::status
