// `offstage restore DIR|DATE -i IDENTITY --to TARGET [--artifact NAME]... [PATH...]`: verifies
// the day exactly as `offstage verify -i` does, then extracts files.tar.zst.age (or the named tar
// artifacts), all of it or the given paths, into TARGET (stager/restore/day_restorer.hpp,
// docs/offstage-restore.8). Exit statuses: 0 restored; 1 an I/O error, an entry not restored
// whole, or a PATH that matched nothing; 2 usage or an unsafe target; 4 the day does not verify
// or an artifact is damaged (nothing written when the verification fails).
#include "platform/printable_name.hpp"
#include "platform/progress_meter.hpp"
#include "stager/age/age_error.hpp"
#include "stager/archive/extract_errors.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/day_command_options.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/restore/day_restorer.hpp"
#include "stager/restore/day_verifier.hpp"

#include <iostream>
#include <memory>
#include <string>
#include <unistd.h>
#include <vector>

namespace offstage::cli {
namespace {

struct RestoreArguments {
    DayCommandOptions day;
    std::string to;
    std::vector<std::string> artifacts;
    std::vector<std::string> paths;
    bool no_verify = false;
};

std::string quoted(const std::string& name) {
    return "'" + platform::printable_name(name) + "'";
}

// "restored files.tar.zst.age: 12 entries, 1.2 MB (40 not selected)", one line per artifact.
void print_restored(const restore::RestoreResult& result) {
    for (const restore::ArtifactRestored& artifact : result.artifacts) {
        std::cout << "restored " << platform::printable_name(artifact.artifact) << ": "
                  << restore::grouped(artifact.counts.entries)
                  << (artifact.counts.entries == 1 ? " entry, " : " entries, ")
                  << restore::human_bytes(artifact.counts.bytes_written);
        if (artifact.counts.skipped > 0) {
            std::cout << " (" << restore::grouped(artifact.counts.skipped) << " not selected)";
        }
        if (!artifact.problems.empty()) {
            std::cout << ", " << artifact.problems.size() << " not restored whole";
        }
        std::cout << '\n';
        for (const archive::FileProblem& problem : artifact.problems) {
            std::cerr << "offstage: restore: " << platform::printable_name(artifact.artifact)
                      << ": " << quoted(problem.path) << ": " << problem.what << '\n';
        }
    }
    std::cout.flush();
}

void run_restore(const GlobalOptions& global, RestoreArguments arguments) {
    for (const std::string& artifact : arguments.artifacts) {
        if (auto why = restore::not_restorable(artifact)) {
            throw CommandFailure(usage_error,
                                 "restore: --artifact " + quoted(artifact) + ": " + *why);
        }
    }
    apply_config_defaults(global, arguments.day);
    restore::RestoreRequest request;
    request.day_dir = day_directory(arguments.day);
    request.identities = load_identities("restore", arguments.day);
    request.target = arguments.to;
    request.artifacts = arguments.artifacts;
    request.paths = arguments.paths;
    request.restore_owners = ::geteuid() == 0;

    if (arguments.no_verify) {
        std::cerr << "offstage: restore: warning: --no-verify: the day is NOT verified; what is "
                     "restored may not be what was staged\n";
    } else {
        restore::VerifyOptions verify;
        verify.day_dir = request.day_dir;
        verify.identities = request.identities;
        verify.public_key = public_key("restore", arguments.day);
        restore::VerifySummary summary = verify_printing("restore", verify);
        if (!summary.good()) {
            throw CommandFailure(summary.bad > 0 ? integrity_error : failure,
                                 "restore: the day does not verify: nothing restored into " +
                                     quoted(request.target.string()));
        }
        request.verified = summary.sums;
    }

    platform::ProgressMeter progress("restore", !global.quiet);
    request.progress = &progress;
    restore::RestoreResult result;
    const std::string target = quoted(request.target.string());
    auto stopped = [&](ExitStatus status, const std::string& what, const std::string& then) {
        progress.finish();
        print_restored(result);
        return CommandFailure(status, "restore: " + platform::printable_message(what) + then);
    };
    try {
        restore::restore_day(request, result);
    } catch (const std::invalid_argument& error) {
        throw stopped(usage_error, error.what(), "; nothing restored");
    } catch (const restore::MissingArtifactError& error) {
        throw stopped(usage_error, error.what(), "; nothing restored");
    } catch (const restore::ArtifactChangedError& error) {
        throw stopped(integrity_error, error.what(),
                      "; what was restored under " + target + " is untrusted: discard it");
    } catch (const age::AgeError& error) {
        throw stopped(integrity_error, error.what(),
                      "; what was restored under " + target + " is unverified: discard it");
    } catch (const archive::UnsafeEntryError& error) {
        throw stopped(integrity_error, error.what(),
                      "; restore stopped, what is under " + target + " is untrusted");
    } catch (const archive::UnsafeTargetError& error) {
        throw stopped(usage_error, error.what(), "");
    } catch (const std::exception& error) {
        // A full disk, an I/O error: what is there is not the whole of what was asked.
        throw stopped(failure, error.what(),
                      "; restore stopped: what is under " + target + " is incomplete");
    }
    progress.finish();
    print_restored(result);
    std::size_t problems = 0;
    for (const restore::ArtifactRestored& artifact : result.artifacts) {
        problems += artifact.problems.size();
    }
    std::string message;
    if (!result.unmatched.empty()) {
        message =
            "restore: " + std::to_string(result.unmatched.size()) + " PATH(s) matched nothing:";
        for (const std::string& path : result.unmatched) {
            message += " " + quoted(path);
        }
    }
    if (problems > 0) {
        message += std::string(message.empty() ? "restore: " : "; ") + std::to_string(problems) +
                   " entr(ies) not restored whole, reported above";
    }
    if (!message.empty()) {
        throw CommandFailure(failure, message);
    }
}

} // namespace

void add_restore_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<RestoreArguments>();
    CLI::App* restore = app.add_subcommand(
        "restore", "verify a day of the staging tree (or a pulled copy), then extract its files "
                   "(or other tar artifacts), all or some paths, into a directory");
    add_day_options(*restore, arguments->day);
    restore
        ->add_option("-i,--identity", arguments->day.identity_files,
                     "age identity file (repeatable)")
        ->required()
        ->allow_extra_args(false);
    restore->add_option("--to", arguments->to, "the directory to restore into")->required();
    restore
        ->add_option("--artifact", arguments->artifacts,
                     "a tar artifact to restore instead of files.tar.zst.age (repeatable): "
                     "system.tar.zst.age, spool-NAME.tar.zst.age, catalog.tar.zst.age")
        ->allow_extra_args(false);
    restore->add_flag("--no-verify", arguments->no_verify,
                      "extract without verifying the day first (dangerous: see the man page)");
    restore->add_option("paths", arguments->paths,
                        "restore only these entries and what is below them (as in the "
                        "archive, with or without the leading '/')");
    restore->callback([&global, arguments] { run_restore(global, *arguments); });
}

} // namespace offstage::cli
