#include "stager/run/staging_run.hpp"

#include "platform/child_process.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/report/report_json.hpp"
#include "stager/run/run_mail.hpp"
#include "stager/selection/backup_selection.hpp"
#include "stager/sources/files_source.hpp"
#include "stager/sources/spool_source.hpp"
#include "stager/sources/system_source.hpp"
#include "stager/staging/day_file.hpp"
#include "stager/staging/day_seal.hpp"
#include "stager/staging/keyed_digest.hpp"
#include "stager/staging/minisign.hpp"
#include "stager/staging/run_lock.hpp"
#include "stager/staging/staging_tree.hpp"
#include "stager/status/status_outputs.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <malloc.h>
#include <memory>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace offstage::run {

namespace {

using Clock = std::chrono::system_clock;

std::string local_day(Clock::time_point when) {
    std::time_t time = Clock::to_time_t(when);
    std::tm local{};
    ::localtime_r(&time, &local);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &local);
    return text;
}

std::string host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name;
}

staging::SigningKey signing_key(const std::filesystem::path& path, report::RunResult& result) {
    struct stat info {};
    if (::lstat(path.c_str(), &info) != 0 && errno == ENOENT) {
        staging::SigningKey key = staging::SigningKey::create(path);
        result.notes.push_back("created the signing key " + path.string() + " (key id " +
                               key.public_key().key_id_hex() +
                               "): keep its public half off the host (offstage key signing)");
        return key;
    }
    return staging::SigningKey::load(path);
}

// One source, timed; its input trouble lands in its result, an exception (output) fails the run.
void produce(sources::Source& source, staging::ArtifactWriter& writer, report::RunResult& result,
             std::ostream& log) {
    report::SourceResult& source_result = result.sources.emplace_back();
    source_result.name = source.name();
    source_result.kind = source.kind();
    auto start = std::chrono::steady_clock::now();
    try {
        source.produce(writer, source_result);
    } catch (const std::exception& error) {
        source_result.fail(report::ReasonCode::output_failed, error.what());
        source_result.duration = std::chrono::steady_clock::now() - start;
        throw std::runtime_error("source " + source_result.name + ": " + error.what());
    }
    source_result.duration = std::chrono::steady_clock::now() - start;
    // Each source's buffers (libzstd's jobs, the sealer's chunks, read-ahead) were allocated on
    // its own threads, in glibc arenas the next source's threads do not reuse: without handing
    // the freed pages back, the system source's buffers came on top of the files source's
    // (the peak of a run of this machine's root: 122-127 MiB without the trim, 114-117 with).
    ::malloc_trim(0);
    log << "source " << source_result.name << ": " << report::to_string(source_result.outcome);
    for (const report::Problem& problem : source_result.problems) {
        log << "\n  " << report::to_string(problem.code) << ": " << problem.detail;
    }
    log << '\n';
}

// An admin's hook: `argv` with `arguments` appended, the environment built from nothing but
// PATH, LC_ALL and `variables`, within `timeout`. Throws platform::ChildProcessError naming the
// command, its status and its first stderr line.
void run_hook(std::vector<std::string> argv, const std::vector<std::string>& arguments,
              std::vector<std::pair<std::string, std::string>> variables,
              std::chrono::seconds timeout) {
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    platform::ChildProcess::Options options;
    options.environment = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"LC_ALL", "C"}};
    options.environment.insert(options.environment.end(), variables.begin(), variables.end());
    options.timeout = timeout;
    platform::ChildProcess::run(
        argv, [](std::string_view) {}, options);
}

} // namespace

// The exit statuses of docs/staging-tree.md, mapped once.
int RunOutcome::exit_status() const {
    if (busy) {
        return cli::busy;
    }
    switch (result.status) {
    case report::RunStatus::failed:
        return cli::failure;
    case report::RunStatus::degraded:
        return mail.failed() ? cli::mail_failed : cli::partial;
    case report::RunStatus::complete:
        return mail.failed() ? cli::mail_failed : cli::success;
    }
    return cli::failure;
}

// `catalog`: the catalog as it stood before this run, in catalog.tar.zst.age (an SQLite online
// backup). Apart from `system` so that an unchanged system can still be reused: the catalog
// changes with every run.
class CatalogSource : public sources::Source {
public:
    explicit CatalogSource(const catalog::Catalog& catalog)
        : catalog_(catalog) {}
    std::string name() const override { return "catalog"; }
    std::string kind() const override { return "catalog"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override {
        // A scratch copy inside the 0700 work dir: removed here, and with the work dir if the
        // run dies (the next run removes leftover work dirs whole).
        std::filesystem::path copy = writer.work().path() / ".catalog-copy.sqlite";
        struct Remove {
            std::filesystem::path path;
            ~Remove() {
                std::error_code ignored;
                std::filesystem::remove(path, ignored);
            }
        } remove{copy};
        catalog_.backup_to(copy);
        std::ifstream in(copy, std::ios::binary);
        std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in && !in.eof()) {
            throw std::runtime_error("read the catalog's copy " + copy.string());
        }
        auto artifact =
            writer.begin_tar("catalog.tar.zst.age", staging::ArtifactWriter::Reuse::never);
        artifact->tar().add_generated("catalog.sqlite", content);
        result.counts["bytes"] = content.size();
        result.artifacts.push_back(artifact->commit());
    }

private:
    const catalog::Catalog& catalog_;
};

StagingRun::StagingRun(RunSettings settings, std::ostream& log)
    : settings_(std::move(settings))
    , log_(log) {
    if (settings_.work_root.empty()) {
        settings_.work_root = platform::staging_layout::default_work_root(settings_.staging_root);
    }
    if (settings_.host.empty()) {
        settings_.host = host_name();
    }
}

RunOutcome StagingRun::execute() {
    RunOutcome outcome;
    report::RunResult& result = outcome.result;
    result.started_at = Clock::now();
    result.day = settings_.day.value_or(local_day(result.started_at));
    result.host = settings_.host;
    result.offstage_version = OFFSTAGE_VERSION;

    std::optional<staging::RunLock::Taken> lock;
    try {
        lock = staging::RunLock::acquire(settings_.run_lock, settings_.lock_wait);
    } catch (const std::exception& error) {
        result.failure = error.what();
        result.finished_at = Clock::now();
        finish(outcome);
        return outcome;
    }
    if (!lock) {
        auto holder = staging::RunLock::live_holder(settings_.run_lock);
        result.failure = "another run holds " + settings_.run_lock.string() +
                         (holder ? " (" + holder->describe() + ")" : std::string()) +
                         " and did not finish within the wait budget";
        outcome.busy = true;
        result.finished_at = Clock::now();
        return outcome;
    }
    if (lock->stale) {
        result.notes.push_back("the run lock was taken over from " + lock->stale->describe() +
                               ", which ended without releasing it");
        log_ << result.notes.back() << '\n';
    }
    try {
        execute_locked(result);
    } catch (const std::exception& error) {
        result.status = report::RunStatus::failed;
        result.failure = error.what();
        log_ << "run failed: " << error.what() << '\n';
    }
    result.finished_at = Clock::now();
    finish(outcome);
    return outcome;
}

std::optional<std::int64_t> StagingRun::record(report::RunResult& result) {
    // A failed run is recorded too (the catalog holds every run); a catalog that cannot be
    // opened or written never unpublishes a good tree: it is a note of the run.
    try {
        if (!catalog_) {
            catalog_ = catalog::Catalog::open(settings_.catalog);
        }
        return catalog_->record(result);
    } catch (const std::exception& error) {
        result.notes.push_back(std::string("the run was not recorded in the catalog: ") +
                               error.what());
        log_ << result.notes.back() << '\n';
    }
    catalog_.reset();
    return std::nullopt;
}

void StagingRun::finish(RunOutcome& outcome) {
    report::RunResult& result = outcome.result;
    if (!settings_.post_hook.empty()) {
        bool published = result.status != report::RunStatus::failed;
        std::string tree = published ? (settings_.staging_root / result.day).string() : "";
        std::string status(report::to_string(result.status));
        try {
            run_hook(settings_.post_hook, {result.day, status, tree},
                     {{"OFFSTAGE_DAY", result.day},
                      {"OFFSTAGE_STATUS", status},
                      {"OFFSTAGE_TREE", tree}},
                     settings_.hook_timeout);
        } catch (const platform::ChildProcessError& error) {
            result.notes.push_back(std::string("the post hook failed: ") + error.what());
            log_ << result.notes.back() << '\n';
        }
    }
    std::optional<std::int64_t> run_id = record(outcome.result);
    // The provider's receipts, the status page and the metrics, from the catalog as recorded.
    status::refresh_after_run(settings_.status, settings_.catalog, settings_.staging_root,
                              outcome.result, log_);
    // Last: the mail says everything the run knows, the catalog's trouble included; the
    // catalog says whether this run is worth a mail ([mail] send).
    RunMail mailed = mail_the_run(outcome.result, catalog_ ? &*catalog_ : nullptr, run_id,
                                  settings_.mail, settings_.scan.stale_rule_runs);
    catalog_.reset();
    outcome.mail = mailed.delivery;
    std::string reasons;
    for (const std::string& reason : mailed.reasons) {
        reasons += (reasons.empty() ? "" : "; ") + reason;
    }
    log_ << (outcome.mail.state == mail::MailDelivery::State::skipped ? "mail skipped: "
                                                                      : "mail because: ")
         << reasons << '\n';
    if (outcome.mail.failed()) {
        log_ << "mail not sent: " << outcome.mail.error
             << (outcome.mail.kept.empty() ? "" : "; kept as " + outcome.mail.kept.string())
             << '\n';
    }
}

void StagingRun::execute_locked(report::RunResult& result) {
    staging::StagingTree tree(settings_.staging_root, settings_.work_root);
    for (const std::string& leftover : tree.remove_leftovers()) {
        result.notes.push_back("removed " + leftover + ", left by a run that did not finish");
        log_ << result.notes.back() << '\n';
    }
    catalog_ = catalog::Catalog::open(settings_.catalog);
    catalog::Catalog& catalog = *catalog_;
    // The state directories (/var/lib/offstage): root's alone.
    for (const std::filesystem::path& file : {settings_.signing_key, settings_.digest_key}) {
        if (::mkdir(file.parent_path().c_str(), 0700) != 0 && errno != EEXIST) {
            throw std::system_error(errno, std::generic_category(),
                                    "create " + file.parent_path().string());
        }
    }
    staging::SigningKey key = signing_key(settings_.signing_key, result);
    staging::DigestKey digest_key = staging::load_or_create_digest_key(settings_.digest_key);

    log_ << "scan " << settings_.scan.root.string() << '\n';
    policies::PolicySet policies = settings_.scan.load_policies();
    selection::SelectionInput input = settings_.scan.selection_input();
    input.skip_directories.push_back(settings_.work_root);
    selection::BackupSelection selection = selection::BackupSelection::compute(input, policies);
    std::string path;
    for (const auto& member : selection.members()) {
        if (member.reason == selection::Reason::annoying) {
            selection.path(member, path);
            result.annoying_files.push_back({path});
        }
    }
    result.annoying_files_scanned = true;
    for (std::size_t i = 0; i < policies.rules().size(); ++i) {
        const policies::Rule& rule = policies.rules()[i];
        result.rule_matches.push_back(
            {rule.file, rule.line,
             std::string(policies::to_string(rule.verdict)) + " " + rule.pattern,
             selection.rule_matches()[i]});
    }
    catalog.fill_annoying_changes(result);
    for (const manifests::Conffile& conffile : selection.conffiles()) {
        result.conffiles.push_back(
            {conffile.path, std::string(manifests::to_string(conffile.state))});
    }
    std::sort(result.conffiles.begin(), result.conffiles.end());
    result.conffiles_scanned = true;
    catalog.fill_conffile_changes(result);
    selection.release_classification_data();

    staging::WorkDir work = tree.begin(result.day);
    if (!settings_.pre_hook.empty()) {
        log_ << "pre hook " << platform::ChildProcess::describe(settings_.pre_hook) << '\n';
        try {
            run_hook(settings_.pre_hook, {result.day, work.path().string()},
                     {{"OFFSTAGE_DAY", result.day}, {"OFFSTAGE_WORK_DIR", work.path().string()}},
                     settings_.hook_timeout);
        } catch (const platform::ChildProcessError& error) {
            throw std::runtime_error(std::string("the pre hook failed: ") + error.what());
        }
    }
    // Reuse links an artifact of the newest published tree when the catalog recorded the same
    // keyed plaintext digest for it there, and the file is still what was recorded.
    staging::PreviousArtifacts previous =
        [&](const std::string& name) -> std::optional<staging::PreviousArtifact> {
        std::optional<catalog::ReusableArtifact> recorded = catalog.reusable_artifact(name);
        if (!recorded) {
            return std::nullopt;
        }
        return staging::PreviousArtifact{settings_.staging_root / recorded->day / name,
                                         recorded->bytes, recorded->sha256,
                                         recorded->plaintext_digest};
    };
    staging::ArtifactWriter writer(work, settings_.artifacts, digest_key, previous);

    platform::ProgressMeter progress("files", settings_.progress);
    sources::FilesSource files(selection, settings_.scan.root, &progress);
    produce(files, writer, result, log_);
    progress.finish();
    for (const manifests::WalkProblem& problem : selection.problems()) {
        result.sources.back().degrade(report::ReasonCode::input_unreadable,
                                      problem.path + ": " + problem.what + ": " +
                                          std::strerror(problem.error));
    }
    result.sources.back().counts["annoying_files"] = result.annoying_files.size();

    sources::SystemSettings system_settings;
    system_settings.root = settings_.scan.root;
    system_settings.admindir = settings_.scan.admindir;
    system_settings.config_file = settings_.config_file;
    system_settings.policy_dir = settings_.scan.policy_dir;
    sources::SystemSource system(system_settings, selection);
    produce(system, writer, result, log_);

    CatalogSource catalog_source(catalog);
    produce(catalog_source, writer, result, log_);

    for (const sources::SpoolSettings& spool_settings : settings_.spools) {
        sources::SpoolSource spool(spool_settings);
        produce(spool, writer, result, log_);
    }
    for (const std::unique_ptr<sources::Source>& dump : sources::dump_sources(settings_.dumps)) {
        produce(*dump, writer, result, log_);
    }

    result.status = result.status_from_sources();
    result.finished_at = Clock::now();
    staging::Sha256Sums sums = writer.sums();
    sums["report.json"] =
        staging::write_day_file(work, "report.json", report::render_report_json(result));
    staging::seal_day(work, sums, key, result.host, Clock::to_time_t(result.finished_at));
    staging::PublishResult published = tree.publish(work, settings_.pull);
    result.replaced_day = published.replaced_day;
    log_ << "published " << result.day << (published.replaced_day ? " (replaced)" : "") << '\n';
    result.pruned_days = tree.prune(settings_.keep);
    for (const std::string& day : result.pruned_days) {
        log_ << "pruned " << day << '\n';
    }
}

} // namespace offstage::run
