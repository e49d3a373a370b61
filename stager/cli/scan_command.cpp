// `offstage scan`: compute the backup set and the annoying files and print them with the
// conffile states, as text for people, JSON for programs or NUL-separated records for scripts
// (layouts in offstage-scan(8)).
#include "platform/child_process.hpp"
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "policies/policy_set.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/selection/backup_selection.hpp"
#include "stager/selection/path_encoding.hpp"
#include "stager/selection/scan_records.hpp"
#include "stager/selection/scan_settings.hpp"

#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <optional>

namespace offstage::cli {

namespace {

using selection::BackupSelection;
using selection::Reason;

// Buffers output and hands it to std::cout in large pieces: a scan can print a million lines.
class Output {
public:
    ~Output() { flush(); }
    std::string& buffer() { return buffer_; }
    void maybe_flush() {
        if (buffer_.size() > (1u << 20)) {
            flush();
        }
    }
    void flush() {
        std::cout.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
        buffer_.clear();
    }

private:
    std::string buffer_;
};

std::string rule_location(const policies::Rule& rule) {
    return rule.file + ":" + std::to_string(rule.line);
}

// Runs a command's body so that whatever it throws reaches main() with control bytes quoted:
// messages name files found on disk (policy files, the root's own files), and a hostile name
// must not drive the terminal. The exit statuses are main()'s.
template <typename Body>
void with_quoted_errors(Body body) {
    try {
        body();
    } catch (const CommandFailure&) {
        throw;
    } catch (const platform::ConfigError& error) {
        throw CommandFailure(config_error, platform::printable_message(error.what()));
    } catch (const std::exception& error) {
        throw CommandFailure(failure, platform::printable_message(error.what()));
    }
}

std::string problem_text(const manifests::WalkProblem& problem) {
    return problem.what + ": " + std::strerror(problem.error);
}

void print_text(const BackupSelection& result, const selection::ScanSettings& settings,
                Output& output) {
    std::string& out = output.buffer();
    const BackupSelection::Counts& counts = result.counts();
    out += "offstage scan of ";
    selection::append_text_escaped(out, settings.root.string());
    out += " (dpkg database ";
    selection::append_text_escaped(out, settings.admindir.string());
    out += ", policies ";
    selection::append_text_escaped(out, settings.policy_dir.string());
    out += ")\n";
    out += "walked: " + std::to_string(counts.walked) + " files in " +
           std::to_string(result.walk().directories) + " directories; " +
           std::to_string(counts.package_files) + " package files, " +
           std::to_string(counts.excluded) + " excluded\n\n";

    std::size_t total = counts.conffiles + counts.included + counts.expected + counts.annoying;
    out += "backup set: " + std::to_string(total) + " (" + std::to_string(counts.conffiles) +
           " conffiles, " + std::to_string(counts.included) + " included, " +
           std::to_string(counts.expected) + " expected, " + std::to_string(counts.annoying) +
           " annoying)\n";
    if (counts.expected_generated != 0) {
        out += "  of the expected, " + std::to_string(counts.expected_generated) +
               " by the alternatives database and ucf's registry (no rule matches them)\n";
    }
    std::string path;
    for (const BackupSelection::Member& member : result.members()) {
        result.path(member, path);
        out += "  ";
        std::string_view reason = selection::to_string(member.reason);
        out += reason;
        out.append(10 - reason.size(), ' ');
        selection::append_text_escaped(out, path);
        if (member.rule != nullptr && member.reason != Reason::conffile) {
            out += "  (";
            selection::append_text_escaped(out, rule_location(*member.rule));
            out += ")";
        } else if (member.expected_by != nullptr) {
            out += "  ";
            selection::append_text_escaped(out, *member.expected_by);
        }
        out += '\n';
        output.maybe_flush();
    }

    out += "\nannoying files: " + std::to_string(counts.annoying) + "\n";
    for (const BackupSelection::Member& member : result.members()) {
        if (member.reason == Reason::annoying) {
            result.path(member, path);
            out += "  ";
            selection::append_text_escaped(out, path);
            out += '\n';
            output.maybe_flush();
        }
    }

    std::map<manifests::ConffileState, std::size_t> by_state;
    for (const manifests::Conffile& conffile : result.conffiles()) {
        ++by_state[conffile.state];
    }
    out += "\nconffiles: " + std::to_string(result.conffiles().size()) + " (";
    bool first = true;
    for (auto state : {manifests::ConffileState::unchanged, manifests::ConffileState::modified,
                       manifests::ConffileState::missing, manifests::ConffileState::obsolete,
                       manifests::ConffileState::fresh}) {
        out += first ? "" : ", ";
        first = false;
        out += std::to_string(by_state[state]) + " " + std::string(manifests::to_string(state));
    }
    if (by_state[manifests::ConffileState::unknown] != 0) {
        // Only a scan that cannot read everything (not root) has these: see the problems.
        out += ", " + std::to_string(by_state[manifests::ConffileState::unknown]) + " unknown";
    }
    out += ")\n";
    for (const manifests::Conffile& conffile : result.conffiles()) {
        std::string_view state = manifests::to_string(conffile.state);
        out += "  ";
        out += state;
        out.append(10 - state.size(), ' ');
        selection::append_text_escaped(out, conffile.path);
        out += "  (";
        for (std::size_t i = 0; i < conffile.packages.size(); ++i) {
            out += i == 0 ? "" : ", ";
            selection::append_text_escaped(out, conffile.packages[i]);
        }
        if (conffile.remove_on_upgrade) {
            out += "; remove-on-upgrade";
        }
        out += ")\n";
        output.maybe_flush();
    }

    out +=
        "\nspecial files (not archived): " + std::to_string(result.special_files().size()) + "\n";
    for (const BackupSelection::SpecialFile& special : result.special_files()) {
        std::string_view type = manifests::to_string(special.type);
        out += "  ";
        out += type;
        out.append(type.size() < 13 ? 13 - type.size() : 1, ' ');
        selection::append_text_escaped(out, result.path(special));
        out += '\n';
    }
    out += "\nproblems: " + std::to_string(result.problems().size()) + "\n";
    for (const manifests::WalkProblem& problem : result.problems()) {
        out += "  ";
        selection::append_text_escaped(out, problem.path);
        out += ": " + problem_text(problem) + "\n";
    }
}

void print_json(const BackupSelection& result, const selection::ScanSettings& settings,
                Output& output) {
    std::string& out = output.buffer();
    const BackupSelection::Counts& counts = result.counts();
    out += "{\"root\":";
    selection::append_json_string(out, settings.root.string());
    out += ",\"admindir\":";
    selection::append_json_string(out, settings.admindir.string());
    out += ",\"policy_dir\":";
    selection::append_json_string(out, settings.policy_dir.string());
    out += ",\"counts\":{\"walked\":" + std::to_string(counts.walked) +
           ",\"directories\":" + std::to_string(result.walk().directories) +
           ",\"package_files\":" + std::to_string(counts.package_files) +
           ",\"excluded\":" + std::to_string(counts.excluded) +
           ",\"backup_set\":" + std::to_string(result.members().size()) +
           ",\"conffiles\":" + std::to_string(counts.conffiles) +
           ",\"included\":" + std::to_string(counts.included) +
           ",\"expected\":" + std::to_string(counts.expected) +
           ",\"expected_generated\":" + std::to_string(counts.expected_generated) +
           ",\"annoying\":" + std::to_string(counts.annoying) +
           ",\"special_files\":" + std::to_string(result.special_files().size()) +
           ",\"problems\":" + std::to_string(result.problems().size()) + "}";
    std::string path;
    out += ",\n\"backup_set\":[";
    bool first = true;
    for (const BackupSelection::Member& member : result.members()) {
        result.path(member, path);
        out += first ? "\n" : ",\n";
        first = false;
        out += "{\"path\":";
        selection::append_json_string(out, path);
        out += ",\"reason\":\"";
        out += selection::to_string(member.reason);
        out += "\",\"rule\":";
        if (member.rule != nullptr) {
            selection::append_json_string(out, rule_location(*member.rule));
        } else {
            out += "null";
        }
        out += ",\"expected_by\":";
        if (member.expected_by != nullptr) {
            selection::append_json_string(out, *member.expected_by);
        } else {
            out += "null";
        }
        out += '}';
        output.maybe_flush();
    }
    out += "],\n\"annoying\":[";
    first = true;
    for (const BackupSelection::Member& member : result.members()) {
        if (member.reason == Reason::annoying) {
            result.path(member, path);
            out += first ? "\n" : ",\n";
            first = false;
            selection::append_json_string(out, path);
            output.maybe_flush();
        }
    }
    out += "],\n\"conffiles\":[";
    first = true;
    for (const manifests::Conffile& conffile : result.conffiles()) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "{\"path\":";
        selection::append_json_string(out, conffile.path);
        out += ",\"state\":\"";
        out += manifests::to_string(conffile.state);
        out += "\",\"packages\":[";
        for (std::size_t i = 0; i < conffile.packages.size(); ++i) {
            out += i == 0 ? "" : ",";
            selection::append_json_string(out, conffile.packages[i]);
        }
        out += "],\"remove_on_upgrade\":";
        out += conffile.remove_on_upgrade ? "true" : "false";
        out += '}';
    }
    out += "],\n\"special_files\":[";
    first = true;
    for (const BackupSelection::SpecialFile& special : result.special_files()) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "{\"path\":";
        selection::append_json_string(out, result.path(special));
        out += ",\"type\":\"";
        out += manifests::to_string(special.type);
        out += "\"}";
    }
    out += "],\n\"problems\":[";
    first = true;
    for (const manifests::WalkProblem& problem : result.problems()) {
        out += first ? "\n" : ",\n";
        first = false;
        out += "{\"path\":";
        selection::append_json_string(out, problem.path);
        out += ",\"error\":";
        selection::append_json_string(out, problem_text(problem));
        out += ",\"errno\":" + std::to_string(problem.error) + "}";
    }
    out += "]}\n";
}

// Records of three NUL-terminated fields: KIND, DETAIL, PATH (selection/scan_records.hpp).
void print_null(const BackupSelection& result, Output& output) {
    selection::append_scan_records(result, output.buffer(), [&output] { output.maybe_flush(); });
}

} // namespace

void add_scan_command(CLI::App& app, const GlobalOptions& global) {
    CLI::App* scan = app.add_subcommand(
        "scan", "compute the backup set, the annoying files and the conffile states");
    auto overrides = std::make_shared<selection::ScanSettings::Overrides>();
    auto format = std::make_shared<std::string>("text");
    scan->add_option("--root", overrides->root, "root of the filesystem to scan ([scan] root)");
    scan->add_option("--admindir", overrides->admindir,
                     "dpkg database ([scan] admindir; default ROOT/var/lib/dpkg)");
    scan->add_option("--policy-dir", overrides->policy_dir,
                     "directory of *.policy files ([scan] policy_dir)");
    scan->add_option("--format", *format, "text, json, or null (NUL-separated records)")
        ->check(CLI::IsMember({"text", "json", "null"}))
        ->capture_default_str();
    scan->callback([overrides, format, &global]() {
        with_quoted_errors([&]() {
            selection::ScanSettings settings = selection::ScanSettings::resolve(
                config::StagerConfig::load(global.config_path).file(), *overrides);
            policies::PolicySet policy_set = settings.load_policies();
            BackupSelection result =
                BackupSelection::compute(settings.selection_input(), policy_set);
            Output output;
            if (*format == "json") {
                print_json(result, settings, output);
            } else if (*format == "null") {
                print_null(result, output);
            } else {
                print_text(result, settings, output);
            }
        });
    });
}

} // namespace offstage::cli
