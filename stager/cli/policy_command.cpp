// `offstage policy check` (is the configuration and every policy file valid?) and
// `offstage policy explain PATH...` (why is this path backed up, expected, excluded, annoying?).
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "policies/policy_set.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/run/deployment_check.hpp"
#include "stager/selection/path_encoding.hpp"
#include "stager/selection/path_explainer.hpp"
#include "stager/selection/scan_settings.hpp"

#include <cstring>
#include <iostream>
#include <memory>

namespace offstage::cli {

namespace {

void add_location_options(CLI::App& command, selection::ScanSettings::Overrides& overrides) {
    command.add_option("--root", overrides.root, "root of the filesystem ([scan] root)");
    command.add_option("--admindir", overrides.admindir,
                       "dpkg database ([scan] admindir; default ROOT/var/lib/dpkg)");
    command.add_option("--policy-dir", overrides.policy_dir,
                       "directory of *.policy files ([scan] policy_dir)");
}

// What `offstage run` would meet (stager/run/deployment_check.hpp). A config that names no
// recipient configures no run: said, not failed (the policies may be all one checks).
std::size_t check_run(const config::StagerConfig& config, const GlobalOptions& global) {
    if (config.recipients().empty()) {
        std::cerr << "offstage: policy check: run: not checked: [encryption] names no recipient, "
                     "so offstage run would refuse to start\n";
        return 0;
    }
    run::DeploymentFindings findings =
        run::check_deployment(config.run_settings(global.config_path));
    if (!global.quiet) {
        for (const std::string& good : findings.good) {
            std::cout << "ok: run: " << platform::printable_message(good) << '\n';
        }
    }
    for (const std::string& problem : findings.problems) {
        std::cerr << "offstage: policy check: run: " << platform::printable_message(problem)
                  << '\n';
    }
    return findings.problems.size();
}

void check(const GlobalOptions& global, const selection::ScanSettings::Overrides& overrides) {
    // Configuration first, all of it (the same checks as every other command's): a bad [scan]
    // section makes the policy directory itself uncertain.
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    std::size_t run_problems = check_run(config, global);
    selection::ScanSettings settings = selection::ScanSettings::resolve(config.file(), overrides);
    std::vector<policies::PolicyError> errors;
    try {
        errors = policies::PolicySet::check_directory(settings.policy_dir);
    } catch (const std::exception& error) {
        throw CommandFailure(config_error, "policy directory " + settings.policy_dir.string() +
                                               ": " + error.what());
    }
    if (!errors.empty()) {
        for (const policies::PolicyError& error : errors) {
            // A policy file's name comes from a directory listing: no raw control bytes.
            std::cerr << platform::printable_message(error.what()) << '\n';
        }
        throw CommandFailure(config_error, std::to_string(errors.size()) +
                                               " error(s) in the policy files of " +
                                               settings.policy_dir.string());
    }
    policies::PolicySet policy_set = settings.load_policies();
    if (!global.quiet) {
        std::cout << "ok: " << policy_set.rules().size() << " rules in "
                  << settings.policy_dir.string() << "\n";
    }
    if (run_problems != 0) {
        throw CommandFailure(config_error,
                             std::to_string(run_problems) + " problem(s) a run would meet (above)");
    }
}

void explain(const GlobalOptions& global, const selection::ScanSettings::Overrides& overrides,
             const std::vector<std::string>& paths) {
    for (const std::string& path : paths) {
        if (path.empty() || path.front() != '/') {
            std::string shown;
            selection::append_text_escaped(shown, path);
            throw CommandFailure(usage_error, "explain: '" + shown +
                                                  "' is not an absolute path (paths are as "
                                                  "seen from the scanned root)");
        }
    }
    selection::ScanSettings settings = selection::ScanSettings::resolve(
        config::StagerConfig::load(global.config_path).file(), overrides);
    policies::PolicySet policy_set = settings.load_policies();
    std::vector<selection::Explanation> explanations =
        selection::PathExplainer::explain(settings.selection_input(), policy_set, paths);
    std::string out;
    for (const selection::Explanation& explanation : explanations) {
        selection::append_text_escaped(out, explanation.path);
        out += '\n';
        if (explanation.canonical != explanation.path) {
            // What the walk would call it: normalised lexically, then the usrmerge alias.
            out += "  path:      ";
            selection::append_text_escaped(out, explanation.canonical);
            bool normalised = explanation.normalised != explanation.path;
            bool aliased = explanation.canonical != explanation.normalised;
            out += normalised && aliased ? " (normalised; usrmerge alias)\n"
                   : normalised          ? " (normalised)\n"
                                         : " (usrmerge alias)\n";
        }
        out += "  owner:     ";
        if (explanation.owners.empty()) {
            out += "none (no package lists it)";
        }
        for (std::size_t i = 0; i < explanation.owners.size(); ++i) {
            out += i == 0 ? "" : ", ";
            selection::append_text_escaped(out, explanation.owners[i]);
        }
        out += '\n';
        if (!explanation.diversion.empty()) {
            out += "  diversion: ";
            selection::append_text_escaped(out, explanation.diversion);
            out += '\n';
        }
        out += "  conffile:  ";
        if (explanation.conffile) {
            out += std::string(manifests::to_string(explanation.conffile->state));
            if (explanation.conffile->state == manifests::ConffileState::unknown) {
                out += " (" + explanation.conffile->failed_call + ": " +
                       std::strerror(explanation.conffile->error) + ")";
            }
            if (explanation.conffile->remove_on_upgrade) {
                out += ", remove-on-upgrade";
            }
        } else {
            out += "no";
        }
        out += '\n';
        if (!explanation.ucf.empty()) {
            out += "  ucf:       ";
            selection::append_text_escaped(out, explanation.ucf);
            out += '\n';
        }
        out += "  rule:      ";
        if (explanation.rule) {
            selection::append_text_escaped(out, explanation.rule->file);
            out += ":" + std::to_string(explanation.rule->line) + ": " +
                   std::string(policies::to_string(explanation.rule->verdict)) + " ";
            selection::append_text_escaped(out, explanation.rule->pattern);
        } else {
            out += "no rule";
        }
        out += '\n';
        if (!explanation.generated.empty()) {
            out += "  generated: ";
            selection::append_text_escaped(out, explanation.generated);
            out += '\n';
        }
        out += "  verdict:   ";
        selection::append_text_escaped(out, explanation.verdict);
        out += '\n';
    }
    std::cout << out;
}

} // namespace

void add_policy_command(CLI::App& app, const GlobalOptions& global) {
    CLI::App* policy = app.add_subcommand("policy", "check the policy files, explain a path");
    policy->require_subcommand(1);

    auto check_overrides = std::make_shared<selection::ScanSettings::Overrides>();
    CLI::App* check_command = policy->add_subcommand(
        "check", "validate offstage.toml's [scan] section and every policy file");
    add_location_options(*check_command, *check_overrides);
    check_command->callback([check_overrides, &global]() { check(global, *check_overrides); });

    auto explain_overrides = std::make_shared<selection::ScanSettings::Overrides>();
    auto paths = std::make_shared<std::vector<std::string>>();
    CLI::App* explain_command = policy->add_subcommand(
        "explain", "say who owns PATH, whether it is a conffile, which rule decides it");
    add_location_options(*explain_command, *explain_overrides);
    explain_command->add_option("PATH", *paths, "absolute paths as seen from the root")->required();
    explain_command->callback([explain_overrides, paths, &global]() {
        // Whatever it throws may name a file of the root: control bytes quoted, main()'s
        // exit statuses kept.
        try {
            explain(global, *explain_overrides, *paths);
        } catch (const CommandFailure&) {
            throw;
        } catch (const platform::ConfigError& error) {
            throw CommandFailure(config_error, platform::printable_message(error.what()));
        } catch (const std::exception& error) {
            throw CommandFailure(failure, platform::printable_message(error.what()));
        }
    });
}

} // namespace offstage::cli
