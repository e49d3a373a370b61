// `offstage run`: stage today's tree (docs/staging-tree.md). Thin: the configuration becomes
// RunSettings (stager/config), StagingRun does the steps, and this file prints a one-screen
// summary and maps the result to the documented exit status.
#include "platform/progress_meter.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/run/run_log.hpp"
#include "stager/run/staging_run.hpp"

#include <iostream>
#include <memory>
#include <sstream>
#include <unistd.h>

namespace offstage::cli {
namespace {

struct RunArguments {
    std::string day;
    bool verbose = false;
};

std::string human_bytes(std::uint64_t bytes) {
    return platform::ProgressMeter::format_bytes(static_cast<double>(bytes));
}

void print_summary(const report::RunResult& result, std::ostream& out) {
    out << "offstage run " << result.day << " on " << result.host << ": "
        << report::to_string(result.status) << '\n';
    if (result.status == report::RunStatus::failed) {
        out << "  nothing new was published: " << result.failure << '\n';
    }
    for (const std::string& note : result.notes) {
        out << "  note: " << note << '\n';
    }
    for (const report::SourceResult& source : result.sources) {
        std::uint64_t bytes = 0;
        bool reused = !source.artifacts.empty();
        for (const report::ArtifactRecord& artifact : source.artifacts) {
            bytes += artifact.bytes;
            reused = reused && artifact.reused;
        }
        out << "  " << source.name << ": " << report::to_string(source.outcome) << ", "
            << human_bytes(bytes) << (reused ? " (reused)" : "") << ", "
            << static_cast<long>(source.duration.count() * 1000) << " ms";
        if (!source.problems.empty()) {
            out << ", " << source.problems.size() << " problem"
                << (source.problems.size() == 1 ? "" : "s");
        }
        out << '\n';
    }
    if (result.status != report::RunStatus::failed) {
        out << "  " << result.annoying_files.size() << " annoying files, "
            << result.total_artifacts() << " artifacts, " << human_bytes(result.total_bytes())
            << (result.pruned_days.empty()
                    ? std::string()
                    : ", pruned " + std::to_string(result.pruned_days.size()) + " old tree(s)")
            << '\n';
    }
}

void run(const GlobalOptions& global, const RunArguments& arguments) {
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    run::RunSettings settings = config.run_settings(global.config_path);
    if (!arguments.day.empty()) {
        settings.day = arguments.day;
    }
    // The step log goes to stderr when someone watches (a terminal) or asks (-v); under the
    // forced shell and cron only the summary shows.
    bool on_terminal = !global.quiet && ::isatty(STDERR_FILENO);
    settings.progress = on_terminal;
    run::RunLogSettings log_settings{settings.log_file, settings.syslog,
                                     arguments.verbose || on_terminal ? &std::cerr : nullptr};
    run::RunLog log(log_settings);
    run::StagingRun staging_run(std::move(settings), log);
    run::RunOutcome outcome = staging_run.execute();
    if (outcome.busy) {
        throw CommandFailure(busy, "run: " + outcome.result.failure);
    }
    print_summary(outcome.result, std::cout);
    if (outcome.mail.failed()) {
        std::cout << "  the mail was not sent: " << outcome.mail.error << '\n';
    }
    int status = outcome.exit_status();
    if (status != success) {
        std::cout.flush();
        throw CommandFailure(static_cast<ExitStatus>(status), "");
    }
}

} // namespace

void add_run_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<RunArguments>();
    CLI::App* command = app.add_subcommand(
        "run", "stage today's backup: scan, archive, encrypt, sign and publish a dated tree");
    command->add_option("--day", arguments->day,
                        "the day to stage as (YYYY-MM-DD; default: today, local time)");
    command->add_flag("-v,--verbose", arguments->verbose, "log each step on standard error");
    command->callback([&global, arguments] { run(global, *arguments); });
}

} // namespace offstage::cli
