#include "stager/mail/report_mail.hpp"

#include "platform/printable_name.hpp"
#include "stager/mail/mime.hpp"
#include "stager/report/annoying_groups.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <openssl/rand.h>
#include <stdexcept>

namespace offstage::mail {

using platform::printable_name;

namespace {

using report::Outcome;
using report::RunResult;
using report::RunStatus;
using report::SourceResult;

// Where the full report (every annoying file, every problem) always is (docs/staging-tree.md).
constexpr std::string_view full_report_artifact = "system.tar.zst.age";

std::string_view status_word(RunStatus status) {
    switch (status) {
    case RunStatus::complete:
        return "OK";
    case RunStatus::degraded:
        return "DEGRADED";
    case RunStatus::failed:
        return "FAILED";
    }
    return "FAILED";
}

std::string plural(std::size_t count, std::string_view one, std::string_view many) {
    return std::to_string(count) + " " + std::string(count == 1 ? one : many);
}

// At most `limit` bytes of `text`, cut before a UTF-8 continuation byte, "..." when cut.
std::string shortened(std::string text, std::size_t limit) {
    if (text.size() <= limit) {
        return text;
    }
    std::size_t cut = limit;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xc0) == 0x80) {
        --cut;
    }
    text.resize(cut);
    return text + "...";
}

std::string first_line(std::string_view text) {
    return std::string(text.substr(0, text.find('\n')));
}

std::string format_bytes(std::uint64_t bytes) {
    static constexpr std::array<const char*, 5> units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        return std::to_string(bytes) + " B";
    }
    double value = static_cast<double>(bytes) / 1024.0;
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < units.size()) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

std::string format_duration(std::chrono::duration<double> duration) {
    double seconds = std::max(0.0, duration.count());
    char text[80];
    if (seconds < 60.0) {
        std::snprintf(text, sizeof text, "%.1f s", seconds);
    } else if (seconds < 3600.0) {
        auto whole = static_cast<long long>(std::llround(seconds));
        std::snprintf(text, sizeof text, "%lld min %02lld s", whole / 60, whole % 60);
    } else {
        auto minutes = static_cast<long long>(std::llround(seconds / 60.0));
        std::snprintf(text, sizeof text, "%lld h %02lld min", minutes / 60, minutes % 60);
    }
    return text;
}

std::tm utc(std::chrono::system_clock::time_point when) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm fields{};
    gmtime_r(&seconds, &fields);
    return fields;
}

// "2026-11-28 03:00:01 UTC"
std::string format_utc(std::chrono::system_clock::time_point when) {
    std::tm t = utc(when);
    char text[80];
    std::snprintf(text, sizeof text, "%04d-%02d-%02d %02d:%02d:%02d UTC", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec);
    return text;
}

// RFC 5322 3.3 date-time in UTC, with English names whatever the locale: "Sat, 28 Nov 2026
// 20:52:46 +0000".
std::string rfc5322_date(std::chrono::system_clock::time_point when) {
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm t = utc(when);
    char text[80];
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  days[static_cast<std::size_t>(t.tm_wday)], t.tm_mday,
                  months[static_cast<std::size_t>(t.tm_mon)], t.tm_year + 1900, t.tm_hour, t.tm_min,
                  t.tm_sec);
    return text;
}

std::string mail_domain(std::string_view host) {
    return is_domain(host) ? std::string(host) : std::string("offstage.invalid");
}

std::string from_address(const MailSettings& settings) {
    if (!settings.from.empty() && !address_problem(settings.from)) {
        return settings.from;
    }
    return "root";
}

// The body as lines; every text from outside goes in through printable_name().
class BodyWriter {
public:
    void line(std::string_view text = {}) {
        text_ += text;
        text_ += '\n';
    }
    void heading(std::string_view title) {
        if (!text_.empty()) {
            line();
        }
        line("== " + std::string(title) + " ==");
    }
    // Up to `cap` names, indented, then how many were left out and where they all are.
    void names(const std::vector<std::string>& names, std::size_t cap, bool published) {
        capped(names.size(), cap, published,
               [&](std::size_t i) { return printable_name(names[i]); });
    }
    // The same for `count` lines that `text(i)` makes printable itself.
    template <typename Text>
    void capped(std::size_t count, std::size_t cap, bool published, Text text) {
        std::size_t shown = std::min(count, cap);
        for (std::size_t i = 0; i < shown; ++i) {
            line("  " + text(i));
        }
        if (shown < count) {
            std::string more = "  " + std::to_string(count - shown) + " more not shown: ";
            if (published) {
                line(more + "the full list is in " + std::string(full_report_artifact) + ".");
            } else {
                line(more + "this run published nothing; run the run again or `offstage scan` "
                            "for the full list.");
            }
        }
    }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

// "/etc/ssh/sshd_config: unchanged -> modified", "/etc/x: modified (first seen)",
// "/etc/y: modified -> no longer a conffile".
std::string conffile_change(const report::ConffileChange& change) {
    std::string text = printable_name(change.path) + ": ";
    if (change.before.empty()) {
        return text + printable_name(change.after) + " (first seen)";
    }
    return text + printable_name(change.before) + " -> " +
           (change.after.empty() ? std::string("no longer a conffile")
                                 : printable_name(change.after));
}

// The annoying files by group (stager/report/annoying_groups.hpp), new groups first, each with
// the command that accepts it; at most `cap` groups.
void write_annoying_groups(BodyWriter& out, const RunResult& run, const MailSettings& settings,
                           bool published) {
    std::vector<std::string> paths;
    paths.reserve(run.annoying_files.size());
    for (const report::AnnoyingFile& file : run.annoying_files) {
        paths.push_back(file.path);
    }
    std::vector<report::AnnoyingGroup> groups =
        report::group_annoying_files(paths, run.new_annoying_files);
    out.heading("Annoying files (" + std::to_string(paths.size()) + ", in " +
                plural(groups.size(), "group", "groups") + ")");
    if (groups.empty()) {
        out.line("None.");
        return;
    }
    std::size_t shown = std::min(groups.size(), settings.listing_cap);
    for (std::size_t i = 0; i < shown; ++i) {
        const report::AnnoyingGroup& group = groups[i];
        std::string text =
            "  " + printable_name(group.path) + ": " + plural(group.files, "file", "files");
        if (group.is_new()) {
            text += group.new_files == group.files
                        ? " (new)"
                        : " (" + std::to_string(group.new_files) + " new)";
        }
        out.line(text);
        out.line("    " + report::accept_command(group, "expect", settings.config_file));
    }
    if (shown < groups.size()) {
        std::string more =
            "  " + std::to_string(groups.size() - shown) + " more groups not shown: ";
        out.line(more + (published
                             ? "every file is listed in " + std::string(full_report_artifact) + "."
                             : std::string("run `offstage policy suggest` for them.")));
    }
    // After the list, so that the groups come right under the heading.
    out.line("New groups first. Each command makes its group expected (backed up, no longer");
    out.line("reported); --as exclude leaves it out of the backup. `offstage policy suggest`");
    out.line("proposes rules for them all.");
}

std::uint64_t source_bytes(const SourceResult& source) {
    std::uint64_t bytes = 0;
    for (const report::ArtifactRecord& artifact : source.artifacts) {
        bytes += artifact.bytes;
    }
    return bytes;
}

std::string pad(std::string text, std::size_t width) {
    if (text.size() < width) {
        text.append(width - text.size(), ' ');
    }
    return text;
}

void write_sources_table(BodyWriter& out, const RunResult& run) {
    struct Row {
        std::array<std::string, 6> cells;
    };
    std::vector<Row> rows;
    rows.push_back({{"source", "kind", "outcome", "size", "artifacts", "time"}});
    for (const SourceResult& source : run.sources) {
        std::size_t reused = static_cast<std::size_t>(
            std::count_if(source.artifacts.begin(), source.artifacts.end(),
                          [](const report::ArtifactRecord& a) { return a.reused; }));
        std::string artifacts = std::to_string(source.artifacts.size());
        if (reused > 0) {
            artifacts += " (" + std::to_string(reused) + " reused)";
        }
        rows.push_back(
            {{printable_name(source.name), printable_name(source.kind),
              std::string(report::to_string(source.outcome)), format_bytes(source_bytes(source)),
              artifacts, format_duration(source.duration)}});
    }
    std::array<std::size_t, 6> widths{};
    for (const Row& row : rows) {
        for (std::size_t i = 0; i < widths.size(); ++i) {
            widths[i] = std::min<std::size_t>(std::max(widths[i], row.cells[i].size()), 40);
        }
    }
    for (const Row& row : rows) {
        std::string text;
        for (std::size_t i = 0; i < widths.size(); ++i) {
            text += "  ";
            text += i + 1 < widths.size() ? pad(row.cells[i], widths[i]) : row.cells[i];
        }
        while (!text.empty() && text.back() == ' ') {
            text.pop_back();
        }
        out.line(text);
    }
}

// "Pulls": only when the run could tell, and only what matters to the admin: a tree waiting
// past the deadline is said first and loudly (docs/mail.md).
void write_pulls(BodyWriter& out, const report::PullCheck& pulls, const RunResult& run) {
    out.heading("Pulls");
    if (pulls.newest_day.empty()) {
        out.line("No tree has been published yet.");
        return;
    }
    if (pulls.overdue && pulls.waiting_since) {
        out.line("NOT PULLED: the provider has not pulled a tree published " +
                 format_utc(*pulls.waiting_since) + " (" + printable_name(pulls.waiting_day) +
                 "), " + format_duration(run.finished_at - *pulls.waiting_since) +
                 " before this run ended; the deadline is " + format_duration(pulls.deadline) +
                 ".");
        out.line(pulls.last_pulled_day.empty()
                     ? std::string("No tree has been pulled at all.")
                     : "The newest tree pulled is " + printable_name(pulls.last_pulled_day) + ".");
        out.line("Check the provider's side and `offstage-shell --check` as the pull user.");
    } else if (!pulls.waiting_day.empty() && pulls.waiting_day != pulls.newest_day) {
        out.line("Not pulled yet: the trees since " + printable_name(pulls.waiting_day) +
                 " (published " + format_utc(*pulls.waiting_since) + "); the deadline is " +
                 format_duration(pulls.deadline) + ".");
    } else {
        out.line(pulls.last_pulled_day.empty() ? std::string("No tree pulled yet.")
                                               : "The provider has every tree up to " +
                                                     printable_name(pulls.last_pulled_day) + ".");
    }
    if (pulls.last_pull_at) {
        out.line("Last pull: " + format_utc(*pulls.last_pull_at) + ".");
    }
}

} // namespace

MessageIdentity MessageIdentity::fresh() {
    std::array<unsigned char, 16> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("mail: OpenSSL's random generator failed (Message-ID)");
    }
    MessageIdentity identity{std::chrono::system_clock::now(), {}};
    static constexpr char hex[] = "0123456789abcdef";
    for (unsigned char byte : random) {
        identity.unique += hex[byte >> 4];
        identity.unique += hex[byte & 0x0f];
    }
    return identity;
}

std::string message_id(const MessageIdentity& identity, std::string_view host) {
    return "<" + mime::header_safe(identity.unique) + "@" + mail_domain(host) + ">";
}

std::string subject(const RunResult& run) {
    std::string text = "offstage " + printable_name(run.host) + " " + printable_name(run.day) +
                       ": " + std::string(status_word(run.status));
    std::vector<std::string> hints;
    if (run.status == RunStatus::failed && !run.failure.empty()) {
        hints.push_back(shortened(printable_name(first_line(run.failure)), 60));
    }
    std::vector<std::string> troubled;
    for (const SourceResult& source : run.sources) {
        if (source.outcome != Outcome::ok) {
            troubled.push_back(printable_name(source.name) + " " +
                               std::string(report::to_string(source.outcome)));
        }
    }
    for (std::size_t i = 0; i < std::min<std::size_t>(troubled.size(), 2); ++i) {
        hints.push_back(shortened(troubled[i], 40));
    }
    if (troubled.size() > 2) {
        hints.push_back(plural(troubled.size() - 2, "more source", "more sources") +
                        " with problems");
    }
    if (!run.new_annoying_files.empty()) {
        hints.push_back(
            plural(run.new_annoying_files.size(), "new annoying file", "new annoying files"));
    }
    if (run.pulls && run.pulls->overdue) {
        hints.push_back("not pulled since " + printable_name(run.pulls->waiting_day));
    }
    if (!hints.empty()) {
        text += " (";
        for (std::size_t i = 0; i < hints.size(); ++i) {
            text += (i == 0 ? "" : "; ") + hints[i];
        }
        text += ")";
    }
    return text;
}

std::string body(const RunResult& run, const MailSettings& settings,
                 const std::vector<std::string>& why) {
    const bool published = run.status != RunStatus::failed;
    const std::size_t cap = settings.listing_cap;
    BodyWriter out;
    out.line("offstage on " + printable_name(run.host) + ", day " + printable_name(run.day) + ": " +
             std::string(status_word(run.status)));
    out.line("Run started " + format_utc(run.started_at) + ", took " +
             format_duration(run.finished_at - run.started_at) + " (offstage " +
             printable_name(run.offstage_version) + ").");
    if (!why.empty()) {
        std::string reasons;
        for (const std::string& reason : why) {
            reasons += (reasons.empty() ? "" : "; ") + printable_name(reason);
        }
        out.line("Why this mail: " + reasons + ".");
    }

    if (!published) {
        out.heading("Why the run FAILED");
        out.line(printable_name(run.failure.empty() ? "(no reason recorded)" : run.failure));
        out.line("Nothing new was published; the previous trees are intact and the provider "
                 "pulls the newest of them.");
    }

    out.heading("What changed");
    if (run.new_annoying_files.empty() && run.gone_annoying_files.empty()) {
        out.line("No annoying file is new or gone since the last run.");
    }
    if (!run.new_annoying_files.empty()) {
        out.line("New annoying files since the last run (" +
                 std::to_string(run.new_annoying_files.size()) + "):");
        out.names(run.new_annoying_files, cap, published);
    }
    if (!run.gone_annoying_files.empty()) {
        out.line("Gone since the last run (" + std::to_string(run.gone_annoying_files.size()) +
                 "):");
        out.names(run.gone_annoying_files, cap, published);
    }

    out.heading("Totals");
    out.line("Annoying files: " + std::to_string(run.annoying_files.size()));
    out.line("Artifacts:      " + std::to_string(run.total_artifacts()) + ", " +
             std::to_string(run.reused_artifacts()) + " of them reused from the previous tree");
    out.line("Bytes:          " + format_bytes(run.total_bytes()) + " (" +
             std::to_string(run.total_bytes()) + ")");
    if (run.replaced_day) {
        out.line("This run replaced the tree already published for " + printable_name(run.day) +
                 ".");
    }
    if (!run.pruned_days.empty()) {
        std::string days;
        for (const std::string& day : run.pruned_days) {
            days += (days.empty() ? "" : ", ") + printable_name(day);
        }
        out.line("Pruned (beyond the retention): " + days);
    }

    if (run.changed_conffiles) {
        out.heading("Conffile changes");
        if (run.changed_conffiles->empty()) {
            out.line("No conffile changed since the last run.");
        } else {
            const std::vector<report::ConffileChange>& changes = *run.changed_conffiles;
            out.line(plural(changes.size(), "conffile", "conffiles") +
                     " changed state since the last run:");
            out.capped(changes.size(), cap, published,
                       [&](std::size_t i) { return conffile_change(changes[i]); });
        }
    }

    out.heading("Source problems");
    bool any_problem = false;
    for (const SourceResult& source : run.sources) {
        if (source.outcome == Outcome::ok && source.problems.empty()) {
            continue;
        }
        any_problem = true;
        std::string outcome(report::to_string(source.outcome));
        if (source.outcome == Outcome::failed) {
            outcome = "FAILED";
        }
        out.line(printable_name(source.name) + " (" + printable_name(source.kind) +
                 "): " + outcome);
        for (const report::Problem& problem : source.problems) {
            out.line("  " + std::string(report::to_string(problem.code)) + ": " +
                     printable_name(problem.detail));
        }
    }
    if (!any_problem) {
        out.line(run.sources.empty() ? "No source ran." : "None: every source is ok.");
    }

    if (run.pulls) {
        write_pulls(out, *run.pulls, run);
    }

    if (!run.notes.empty()) {
        out.heading("Notes");
        for (const std::string& note : run.notes) {
            out.line("  " + printable_name(note));
        }
    }

    out.heading("Sources: sizes and durations");
    if (run.sources.empty()) {
        out.line("No source ran.");
    } else {
        write_sources_table(out, run);
    }

    if (!run.stale_rules.empty()) {
        out.heading("Stale rules (" + std::to_string(run.stale_rules.size()) + ")");
        out.line("These rules matched nothing in each of the last " +
                 std::to_string(run.stale_rule_runs) +
                 " scans: remove them, or keep them on purpose.");
        std::size_t shown = std::min(run.stale_rules.size(), cap);
        for (std::size_t i = 0; i < shown; ++i) {
            const report::RuleMatchCount& rule = run.stale_rules[i];
            out.line("  " + printable_name(rule.file) + ":" + std::to_string(rule.line) + ": " +
                     printable_name(rule.rule));
        }
        if (shown < run.stale_rules.size()) {
            out.line("  " + std::to_string(run.stale_rules.size() - shown) +
                     " more: `offstage policy check` lists them all.");
        }
    }

    write_annoying_groups(out, run, settings, published);
    return out.take();
}

std::string render_message(const RunResult& run, const MailSettings& settings,
                           const MessageIdentity& identity, const std::vector<std::string>& why) {
    // An address that does not parse is left out, not written: stripping CR/LF alone would not
    // stop "root Bcc: x" from reading as a group. The config check and the sender refuse such
    // settings; this is the last fence.
    std::string recipients;
    for (const std::string& recipient : settings.recipients) {
        if (!address_problem(recipient)) {
            recipients += (recipients.empty() ? "" : ",\n ") + mime::header_safe(recipient);
        }
    }
    std::string message;
    message += "From: offstage <" + mime::header_safe(from_address(settings)) + ">\n";
    message += "To: " + recipients + "\n";
    message += mime::unstructured_header("Subject", subject(run)) + "\n";
    message += "Date: " + rfc5322_date(identity.date) + "\n";
    message += "Message-ID: " + message_id(identity, run.host) + "\n";
    message += "Auto-Submitted: auto-generated\n";
    message += "X-Offstage-Status: " + std::string(status_word(run.status)) + "\n";
    message += "MIME-Version: 1.0\n";
    message += "Content-Type: text/plain; charset=UTF-8\n";
    message += "Content-Transfer-Encoding: quoted-printable\n";
    message += "\n";
    message += mime::quoted_printable(body(run, settings, why));
    return message;
}

} // namespace offstage::mail
