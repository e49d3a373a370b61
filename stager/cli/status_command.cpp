// `offstage status [--json]`: what a tired admin needs first. The newest complete tree and its
// age, whether a run holds the run lock, then the last runs from the catalog with each source's
// outcome, size and duration. Reads only: it never creates the catalog. See
// docs/offstage-status.8 (the text and the JSON schema) and docs/catalog.md.
#include "platform/printable_name.hpp"
#include "platform/staging_layout.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/catalog/catalog_error.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/restore/seal_check.hpp"
#include "stager/staging/minisign.hpp"
#include "stager/staging/run_lock.hpp"
#include "stager/staging/staging_tree.hpp"
#include "stager/status/pull_check.hpp"
#include "stager/status/receipt_import.hpp"
#include "stager/status/status_outputs.hpp"
#include "stager/status/status_snapshot.hpp"

#include <chrono>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace offstage::cli {
namespace {

namespace fs = std::filesystem;
namespace layout = platform::staging_layout;
using Clock = std::chrono::system_clock;
using Json = nlohmann::ordered_json;

// An option given on the command line wins over the built-in default; the [catalog] path,
// [staging] root and [run] lock keys of offstage.toml take their place between the two once the
// configuration carries them.
struct StatusArguments {
    std::optional<std::string> catalog;
    std::optional<std::string> staging_root;
    std::optional<std::string> run_lock;
    std::optional<std::string> public_key; // a minisign public key file
    std::optional<std::string> signing_key;
    std::size_t runs = 10;
    bool json = false;
    // --html DIR: write the status page there; --metrics [FILE]: the textfile ("" given
    // without a value: [status] metrics_file).
    std::optional<std::string> html_dir;
    std::optional<std::string> metrics_file;
};

struct StatusPaths {
    fs::path catalog;
    fs::path staging_root;
    fs::path run_lock;
    fs::path signing_key;
};

// The command line over offstage.toml over the defaults.
StatusPaths resolve(const StatusArguments& arguments, const config::StagerConfig& config) {
    config::StagerConfig::Paths configured = config.paths();
    return {
        arguments.catalog ? fs::path(*arguments.catalog) : configured.catalog,
        arguments.staging_root ? fs::path(*arguments.staging_root) : configured.staging_root,
        arguments.run_lock ? fs::path(*arguments.run_lock) : configured.run_lock,
        arguments.signing_key ? fs::path(*arguments.signing_key) : configured.signing_key,
    };
}

// The complete trees of the served root, and when the newest was signed (its signature's
// mtime: publishing keeps it). A staging root that cannot be read is shown, not fatal: the
// runs in the catalog still say why.
// The complete trees as the status page reads them: one reader for both.
using Trees = status::TreeState;

// Free text (a failure, a problem) may name hostile paths: never print it raw.
std::string printable(std::string_view text) {
    return platform::printable_name(text);
}

// The seal of the newest complete tree (restore/seal_check.hpp): a cheap check, not `verify`.
struct Seal {
    restore::SealCheck check;
    std::string key_id;      // of the public key used, "" when none
    std::string key_problem; // why there is none
};

// --public-key FILE, else the public half of the host's signing key ([staging] signing_key):
// status runs on the host, where a run made that key. Without either the signature is not
// checked and the seal says why.
std::optional<staging::MinisignPublicKey>
host_public_key(const StatusArguments& arguments, const StatusPaths& paths, std::string& problem) {
    if (arguments.public_key) {
        std::ifstream in(*arguments.public_key, std::ios::binary);
        std::string text(64 * 1024, '\0');
        in.read(text.data(), static_cast<std::streamsize>(text.size()));
        text.resize(static_cast<std::size_t>(in.gcount()));
        try {
            if (!in && !in.eof()) {
                throw staging::SignatureError("cannot read it");
            }
            return staging::MinisignPublicKey::parse(text);
        } catch (const staging::SignatureError& error) {
            throw CommandFailure(usage_error, "status: --public-key " +
                                                  printable(*arguments.public_key) + ": " +
                                                  error.what());
        }
    }
    try {
        return staging::SigningKey::load(paths.signing_key).public_key();
    } catch (const std::exception& error) {
        problem = error.what();
        return std::nullopt;
    }
}

// The sizes the catalog recorded for `day`'s artifacts: the newest published run of that day
// among those loaded.
std::map<std::string, std::uint64_t>
recorded_sizes(const std::string& day,
               const std::optional<std::vector<catalog::RecordedRun>>& runs) {
    std::map<std::string, std::uint64_t> sizes;
    for (const catalog::RecordedRun& recorded :
         runs.value_or(std::vector<catalog::RecordedRun>{})) {
        if (recorded.run.day != day || recorded.run.status == report::RunStatus::failed) {
            continue;
        }
        for (const report::SourceResult& source : recorded.run.sources) {
            for (const report::ArtifactRecord& artifact : source.artifacts) {
                sizes[artifact.name] = artifact.bytes;
            }
        }
        break;
    }
    return sizes;
}

struct Lock {
    std::optional<staging::LockHolder> holder;
    std::string error;
};

Lock read_lock(const fs::path& path) {
    Lock lock;
    try {
        lock.holder = staging::RunLock::live_holder(path);
    } catch (const std::exception& error) {
        lock.error = error.what();
    }
    return lock;
}

std::string rfc3339(Clock::time_point when) {
    std::time_t seconds = Clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// "42 s", "3 min 50 s", "5 h 2 min", "3 d 4 h": two units are enough at a glance.
std::string human_duration(double seconds) {
    if (seconds < 0) {
        seconds = 0;
    }
    if (seconds < 10) {
        return fmt::format("{:.1f} s", seconds);
    }
    auto whole = static_cast<long long>(seconds);
    if (whole < 60) {
        return fmt::format("{} s", whole);
    }
    if (whole < 3600) {
        return fmt::format("{} min {} s", whole / 60, whole % 60);
    }
    if (whole < 86400) {
        return fmt::format("{} h {} min", whole / 3600, whole % 3600 / 60);
    }
    return fmt::format("{} d {} h", whole / 86400, whole % 86400 / 3600);
}

std::string human_bytes(std::uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    if (bytes < 1024) {
        return fmt::format("{} B", bytes);
    }
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    for (value /= 1024; value >= 1024 && unit + 1 < std::size(units); value /= 1024) {
        ++unit;
    }
    return fmt::format("{:.1f} {}", value, units[unit]);
}

std::vector<std::string> reasons(const report::SourceResult& source) {
    std::vector<std::string> codes;
    std::set<std::string_view> seen;
    for (const report::Problem& problem : source.problems) {
        if (seen.insert(report::to_string(problem.code)).second) {
            codes.emplace_back(report::to_string(problem.code));
        }
    }
    return codes;
}

std::uint64_t source_bytes(const report::SourceResult& source) {
    std::uint64_t bytes = 0;
    for (const report::ArtifactRecord& artifact : source.artifacts) {
        bytes += artifact.bytes;
    }
    return bytes;
}

double run_seconds(const report::RunResult& run) {
    return std::chrono::duration<double>(run.finished_at - run.started_at).count();
}

// A failed run's sources that were not ok, named: "spool-mail failed (lock_timeout)".
std::string trouble(const report::RunResult& run) {
    std::string text;
    for (const report::SourceResult& source : run.sources) {
        if (source.outcome == report::Outcome::ok) {
            continue;
        }
        std::vector<std::string> codes = reasons(source);
        text += (text.empty() ? "" : ", ") + printable(source.name) + " " +
                std::string(report::to_string(source.outcome));
        if (!codes.empty()) {
            text += " (" + fmt::format("{}", fmt::join(codes, ", ")) + ")";
        }
    }
    return text;
}

// What the provider pulled, from the receipts the catalog holds: the same check as the status
// page and the metrics (status::check_pulls), and the newest receipts.
struct Pulls {
    report::PullCheck check;
    std::vector<catalog::PullRecord> recent; // newest first, at most shown_pulls
};
constexpr std::size_t shown_pulls = 10;

Pulls read_pulls(const catalog::Catalog& catalog, std::chrono::seconds deadline) {
    Pulls pulls;
    pulls.recent = catalog.recent_pulls(status::history_pulls);
    pulls.check = status::check_pulls(catalog.recent_runs(status::history_runs), pulls.recent,
                                      deadline, Clock::now());
    if (pulls.recent.size() > shown_pulls) {
        pulls.recent.resize(shown_pulls);
    }
    return pulls;
}

// "newest tree DAY pulled at TIME" or "... not pulled yet", then who waits since when and the
// last receipt: the line a provider's silence shows up on.
std::string pulls_line(const Pulls& pulls) {
    const report::PullCheck& check = pulls.check;
    if (pulls.recent.empty() && check.newest_day.empty()) {
        return "none recorded, no tree published";
    }
    std::string line;
    if (!check.newest_day.empty()) {
        line = "newest tree " + check.newest_day +
               (check.newest_pulled_at ? " pulled at " + rfc3339(*check.newest_pulled_at)
                                       : std::string(" not pulled yet"));
    }
    if (!check.waiting_day.empty() && check.waiting_since) {
        line += "; " + check.waiting_day + " waits since " + rfc3339(*check.waiting_since);
        if (check.overdue) {
            line += ", OVERDUE (deadline " +
                    human_duration(static_cast<double>(check.deadline.count())) + ")";
        }
    }
    if (pulls.recent.empty()) {
        line += std::string(line.empty() ? "" : "; ") + "no pull recorded";
    } else {
        const catalog::PullRecord& last = pulls.recent.front();
        line += std::string(line.empty() ? "" : "; ") + "last pull " + rfc3339(last.finished_at) +
                " of " +
                (last.served == "*" ? std::string("the whole root") : printable(last.served)) +
                (last.whole ? "" : " (a part)") + " from " + printable(last.client);
    }
    return line;
}

void print_text(const StatusPaths& paths, const Trees& trees, const std::optional<Seal>& seal,
                const Lock& lock, const std::optional<std::vector<catalog::RecordedRun>>& runs,
                const std::optional<Pulls>& pulls) {
    std::ostream& out = std::cout;
    Clock::time_point now = Clock::now();

    out << "Newest complete tree: ";
    if (!trees.error.empty()) {
        out << "unknown: " << printable(trees.error) << '\n';
    } else if (trees.complete_days.empty()) {
        out << "none in " << printable(paths.staging_root.string()) << '\n';
    } else {
        out << trees.complete_days.back();
        if (trees.newest_signed_at) {
            out << ", signed "
                << human_duration(
                       std::chrono::duration<double>(now - *trees.newest_signed_at).count())
                << " ago (" << rfc3339(*trees.newest_signed_at) << ")";
        }
        out << "; " << trees.complete_days.size() << " complete tree"
            << (trees.complete_days.size() == 1 ? "" : "s") << " in "
            << printable(paths.staging_root.string()) << '\n';
    }

    if (seal) {
        out << "Seal:                 ";
        const restore::SealCheck& check = seal->check;
        std::string listed = std::to_string(check.files) + " listed file" +
                             (check.files == 1 ? "" : "s") + " present (" +
                             std::to_string(check.sizes_checked) +
                             " with the size the catalog recorded), none changed after signing";
        switch (check.state) {
        case restore::SealCheck::State::intact:
            out << "intact: signature by key " << seal->key_id << ", " << listed;
            break;
        case restore::SealCheck::State::signature_unchecked:
            out << "signature not checked (" << printable(seal->key_problem) << "); " << listed;
            break;
        case restore::SealCheck::State::broken:
            out << "BROKEN:";
            for (const std::string& problem : check.problems) {
                out << "\n    " << problem;
            }
            out << "\n   ";
            break;
        }
        out << "; contents not hashed: offstage verify " << trees.complete_days.back() << '\n';
    }

    out << "Run lock:             ";
    if (!lock.error.empty()) {
        out << "unknown: " << printable(lock.error) << '\n';
    } else if (lock.holder) {
        out << "held by " << printable(lock.holder->describe()) << '\n';
    } else {
        out << "free\n";
    }

    if (pulls) {
        out << "Pulls:                " << pulls_line(*pulls) << '\n';
    }

    out << "Last run:             ";
    if (!runs || runs->empty()) {
        out << "no runs recorded yet (" << (runs ? "catalog " : "no catalog at ")
            << printable(paths.catalog.string()) << ")\n";
        return;
    }
    const report::RunResult& last = runs->front().run;
    out << last.day << " " << report::to_string(last.status);
    if (last.status == report::RunStatus::failed && !last.failure.empty()) {
        out << ": " << printable(last.failure);
    } else if (std::string text = trouble(last); !text.empty()) {
        out << ": " << text;
    }
    out << '\n';

    out << '\n'
        << "Last " << runs->size() << " run" << (runs->size() == 1 ? "" : "s")
        << ", newest first (catalog " << printable(paths.catalog.string()) << "):\n";
    out << fmt::format("{:<10}  {:<20}  {:<8}  {:>13}  {:>10}  {}\n", "DAY", "STARTED (UTC)",
                       "STATUS", "DURATION", "SIZE", "ARTIFACTS");
    for (const catalog::RecordedRun& recorded : *runs) {
        const report::RunResult& run = recorded.run;
        std::string artifacts = std::to_string(run.total_artifacts());
        if (run.reused_artifacts() > 0) {
            artifacts += " (" + std::to_string(run.reused_artifacts()) + " reused)";
        }
        out << fmt::format("{:<10}  {:<20}  {:<8}  {:>13}  {:>10}  {}\n", printable(run.day),
                           rfc3339(run.started_at), report::to_string(run.status),
                           human_duration(run_seconds(run)), human_bytes(run.total_bytes()),
                           artifacts);
        if (run.status == report::RunStatus::failed && !run.failure.empty()) {
            out << "    failure: " << printable(run.failure) << '\n';
        }
        for (const report::SourceResult& source : run.sources) {
            std::string outcome(report::to_string(source.outcome));
            if (std::vector<std::string> codes = reasons(source); !codes.empty()) {
                outcome += " (" + fmt::format("{}", fmt::join(codes, ", ")) + ")";
            }
            out << fmt::format("    {:<24}  {:<22}  {:>13}  {:>10}\n", printable(source.name),
                               outcome, human_duration(source.duration.count()),
                               human_bytes(source_bytes(source)));
        }
    }
}

Json source_json(const report::SourceResult& source) {
    Json artifacts = Json::array();
    for (const report::ArtifactRecord& artifact : source.artifacts) {
        artifacts.push_back(
            {{"name", artifact.name}, {"bytes", artifact.bytes}, {"reused", artifact.reused}});
    }
    Json problems = Json::array();
    for (const report::Problem& problem : source.problems) {
        problems.push_back(
            {{"code", std::string(report::to_string(problem.code))}, {"detail", problem.detail}});
    }
    Json counts = Json::object();
    for (const auto& [key, value] : source.counts) {
        counts[key] = value;
    }
    return {
        {"name", source.name},
        {"kind", source.kind},
        {"outcome", std::string(report::to_string(source.outcome))},
        {"reasons", reasons(source)},
        {"duration_seconds", source.duration.count()},
        {"bytes", source_bytes(source)},
        {"artifacts", std::move(artifacts)},
        {"counts", std::move(counts)},
        {"problems", std::move(problems)},
    };
}

Json run_json(const catalog::RecordedRun& recorded) {
    const report::RunResult& run = recorded.run;
    Json sources = Json::array();
    for (const report::SourceResult& source : run.sources) {
        sources.push_back(source_json(source));
    }
    return {
        {"id", recorded.id},
        {"day", run.day},
        {"host", run.host},
        {"status", std::string(report::to_string(run.status))},
        {"failure", run.failure.empty() ? Json(nullptr) : Json(run.failure)},
        {"started_at", rfc3339(run.started_at)},
        {"finished_at", rfc3339(run.finished_at)},
        {"duration_seconds", run_seconds(run)},
        {"offstage_version", run.offstage_version},
        {"totals",
         {{"artifacts", run.total_artifacts()},
          {"bytes", run.total_bytes()},
          {"reused_artifacts", run.reused_artifacts()}}},
        {"sources", std::move(sources)},
    };
}

Json time_json(const std::optional<Clock::time_point>& when) {
    return when ? Json(rfc3339(*when)) : Json(nullptr);
}

Json pulls_json(const std::optional<Pulls>& pulls) {
    if (!pulls) {
        return nullptr;
    }
    const report::PullCheck& check = pulls->check;
    auto day_or_null = [](const std::string& day) {
        return day.empty() ? Json(nullptr) : Json(day);
    };
    Json recent = Json::array();
    for (const catalog::PullRecord& pull : pulls->recent) {
        recent.push_back({{"finished_at", rfc3339(pull.finished_at)},
                          {"client", pull.client},
                          {"served", pull.served},
                          {"whole", pull.whole}});
    }
    return {{"deadline_seconds", check.deadline.count()},
            {"newest_day", day_or_null(check.newest_day)},
            {"newest_pulled_at", time_json(check.newest_pulled_at)},
            {"last_pulled_day", day_or_null(check.last_pulled_day)},
            {"last_pull_at", time_json(check.last_pull_at)},
            {"waiting_day", day_or_null(check.waiting_day)},
            {"waiting_since", time_json(check.waiting_since)},
            {"overdue", check.overdue},
            {"recent", std::move(recent)}};
}

void print_json(const StatusPaths& paths, const Trees& trees, const std::optional<Seal>& seal,
                const Lock& lock, const std::optional<std::vector<catalog::RecordedRun>>& runs,
                const std::optional<Pulls>& pulls) {
    Json newest = nullptr;
    if (!trees.complete_days.empty()) {
        newest = {
            {"day", trees.complete_days.back()}, {"signed_at", nullptr}, {"age_seconds", nullptr}};
        if (seal) {
            newest["seal"] = {
                {"state", std::string(restore::to_string(seal->check.state))},
                {"key_id", seal->key_id.empty() ? Json(nullptr) : Json(seal->key_id)},
                {"key_problem",
                 seal->key_problem.empty() ? Json(nullptr) : Json(seal->key_problem)},
                {"files", seal->check.files},
                {"sizes_checked", seal->check.sizes_checked},
                {"problems", seal->check.problems},
            };
        }
        if (trees.newest_signed_at) {
            newest["signed_at"] = rfc3339(*trees.newest_signed_at);
            newest["age_seconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                                        Clock::now() - *trees.newest_signed_at)
                                        .count();
        }
    }
    Json holder = nullptr;
    if (lock.holder) {
        holder = {{"pid", lock.holder->pid},
                  {"boot_id", lock.holder->boot_id},
                  {"started", lock.holder->started},
                  {"description", lock.holder->describe()}};
    }
    Json run_list = Json::array();
    for (const catalog::RecordedRun& recorded :
         runs.value_or(std::vector<catalog::RecordedRun>{})) {
        run_list.push_back(run_json(recorded));
    }
    Json status = {
        {"format", "offstage-status/1"},
        {"catalog", {{"path", paths.catalog.string()}, {"exists", runs.has_value()}}},
        {"staging",
         {{"root", paths.staging_root.string()},
          {"error", trees.error.empty() ? Json(nullptr) : Json(trees.error)},
          {"complete_days", trees.complete_days},
          {"newest_complete_tree", std::move(newest)}}},
        {"run_lock",
         {{"path", paths.run_lock.string()},
          {"error", lock.error.empty() ? Json(nullptr) : Json(lock.error)},
          {"holder", std::move(holder)}}},
        {"runs", std::move(run_list)},
        {"pulls", pulls_json(pulls)},
    };
    // Paths and problem texts are bytes: an invalid UTF-8 sequence becomes U+FFFD rather than
    // an exception (the catalog keeps the exact bytes).
    std::cout << status.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
}

// The forced shell's receipts into the catalog before anything reads it: what `status` shows
// of the pulls is as new as the last pull. Trouble is said on stderr; the status still shows.
void import_pull_receipts(catalog::Catalog& catalog, const status::StatusSettings& settings) {
    if (settings.receipts_file.empty()) {
        return;
    }
    try {
        status::ReceiptImport imported = status::import_receipts(settings.receipts_file, catalog);
        if (imported.malformed > 0) {
            std::cerr << "offstage status: " << imported.malformed << " line(s) of "
                      << printable(settings.receipts_file.string())
                      << " were not receipts and were dropped\n";
        }
    } catch (const std::exception& error) {
        std::cerr << "offstage status: pull receipts not imported: " << printable(error.what())
                  << '\n';
    }
}

// --html and --metrics: the page and the textfile (docs/status-page.md), written atomically.
// Any that could not be written fails the command (exit 1) after the others were tried.
void write_status_outputs(const StatusArguments& arguments, const StatusPaths& paths,
                          const status::StatusSettings& settings, catalog::Catalog* catalog) {
    status::StatusOutputs outputs;
    if (arguments.html_dir) {
        outputs.html_dir = *arguments.html_dir;
    }
    if (arguments.metrics_file) {
        outputs.metrics_file = arguments.metrics_file->empty() ? settings.metrics_file
                                                               : fs::path(*arguments.metrics_file);
        if (outputs.metrics_file.empty()) {
            throw CommandFailure(usage_error, "status: --metrics without a file, and [status] "
                                              "metrics_file is \"\"");
        }
    }
    status::StatusSettings without_import = settings;
    without_import.receipts_file.clear(); // imported already
    status::RefreshResult result = status::refresh(catalog, paths.catalog, paths.staging_root,
                                                   without_import, outputs, Clock::now());
    for (const std::string& note : result.notes) {
        std::cerr << "offstage status: " << printable(note) << '\n';
    }
    if (!result.notes.empty()) {
        throw CommandFailure(failure, "status: " + std::to_string(result.notes.size()) +
                                          " output(s) not written");
    }
}

void run_status(const GlobalOptions& global, const StatusArguments& arguments) {
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    StatusPaths paths = resolve(arguments, config);
    status::StatusSettings status_settings = status::StatusSettings::from(config.file());
    std::optional<std::vector<catalog::RecordedRun>> runs;
    std::optional<catalog::Catalog> opened;
    std::optional<Pulls> pulls;
    try {
        catalog::CatalogSettings settings;
        settings.path = paths.catalog;
        opened = catalog::Catalog::open_existing(settings);
        if (opened) {
            import_pull_receipts(*opened, status_settings);
            runs = opened->recent_runs(arguments.runs);
            pulls = read_pulls(*opened, status_settings.pull_deadline);
        }
    } catch (const catalog::CatalogError& error) {
        throw CommandFailure(failure, std::string("status: ") + error.what());
    }
    if (arguments.html_dir || arguments.metrics_file) {
        try {
            write_status_outputs(arguments, paths, status_settings, opened ? &*opened : nullptr);
        } catch (const catalog::CatalogError& error) {
            throw CommandFailure(failure, std::string("status: ") + error.what());
        }
        return;
    }
    Trees trees = status::read_trees(paths.staging_root);
    std::optional<Seal> seal;
    if (!trees.complete_days.empty()) {
        const std::string& day = trees.complete_days.back();
        seal.emplace();
        std::optional<staging::MinisignPublicKey> key =
            host_public_key(arguments, paths, seal->key_problem);
        if (key) {
            seal->key_id = key->key_id_hex();
        }
        seal->check = restore::check_seal(paths.staging_root / day, key, recorded_sizes(day, runs));
    }
    Lock lock = read_lock(paths.run_lock);
    if (arguments.json) {
        print_json(paths, trees, seal, lock, runs, pulls);
    } else {
        print_text(paths, trees, seal, lock, runs, pulls);
    }
    if (seal && seal->check.state == restore::SealCheck::State::broken) {
        // Everything was shown; the status says it for a monitor.
        throw CommandFailure(integrity_error, "");
    }
}

} // namespace

void add_status_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<StatusArguments>();
    CLI::App* status = app.add_subcommand(
        "status", "show the newest complete tree, the run lock and the last runs");
    status->add_option("--catalog", arguments->catalog,
                       "the catalog (default " + std::string(catalog::default_catalog_path) + ")");
    status->add_option("--staging-root", arguments->staging_root,
                       "the served staging root (default " +
                           std::string(layout::default_staging_root) + ")");
    status->add_option("--run-lock", arguments->run_lock,
                       "the run lock file (default " + std::string(layout::default_run_lock) + ")");
    status->add_option("--public-key", arguments->public_key,
                       "minisign public key file that checks the newest tree's signature "
                       "(default: the public half of [staging] signing_key)");
    status->add_option("--signing-key", arguments->signing_key,
                       "the host's signing key whose public half checks the signature (default "
                       "[staging] signing_key)");
    status->add_option("--runs", arguments->runs, "how many runs to show, newest first")
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
    status->add_flag("--json", arguments->json, "one JSON object (docs/offstage-status.8)");
    status->add_option("--html", arguments->html_dir,
                       "write the status page DIR/index.html instead (docs/status-page.md)");
    status
        ->add_option("--metrics", arguments->metrics_file,
                     "write the Prometheus textfile instead (default: [status] metrics_file, " +
                         std::string(status::default_metrics_file) + ")")
        ->expected(0, 1);
    status->callback([&global, arguments] { run_status(global, *arguments); });
}

} // namespace offstage::cli
