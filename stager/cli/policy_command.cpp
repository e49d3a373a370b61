// `offstage policy check` (is the configuration and every policy file valid? which rules are
// stale?), `offstage policy explain PATH...` (why is this path backed up, expected, excluded,
// annoying?), and the annoying-files loop: `offstage policy suggest` (rules that absorb the
// last scan's annoying files) and `offstage policy accept PATH... --as VERDICT` (append the
// narrowest rule to the local policy file, validated before it replaces the file).
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "platform/unique_fd.hpp"
#include "policies/policy_parser.hpp"
#include "policies/policy_set.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/report/annoying_groups.hpp"
#include "stager/run/deployment_check.hpp"
#include "stager/selection/path_encoding.hpp"
#include "stager/selection/path_explainer.hpp"
#include "stager/selection/scan_settings.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

std::string today() {
    std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &local);
    return text;
}

std::optional<catalog::Catalog> open_catalog(const config::StagerConfig& config) {
    catalog::CatalogSettings settings;
    settings.path = config.paths().catalog;
    return catalog::Catalog::open_existing(settings);
}

// Rules of today's policies that matched nothing in the last [scan] stale_rule_runs scans the
// catalog recorded: a warning, not an error (a rule for a rare file may be kept on purpose).
void report_stale_rules(const config::StagerConfig& config, const selection::ScanSettings& settings,
                        const policies::PolicySet& policy_set) {
    std::vector<report::RuleMatchCount> stale;
    try {
        std::optional<catalog::Catalog> catalog = open_catalog(config);
        if (!catalog) {
            return; // no run yet: nothing can be stale
        }
        stale = catalog->stale_rules(settings.stale_rule_runs);
    } catch (const std::exception& error) {
        std::cerr << "offstage: policy check: stale rules: not checked: "
                  << platform::printable_message(error.what()) << '\n';
        return;
    }
    for (const report::RuleMatchCount& rule : stale) {
        // Only rules still in the files: the catalog remembers rules since removed.
        bool present = std::any_of(
            policy_set.rules().begin(), policy_set.rules().end(), [&](const policies::Rule& r) {
                return r.file == rule.file &&
                       std::string(policies::to_string(r.verdict)) + " " + r.pattern == rule.rule;
            });
        if (present) {
            std::cout << "stale: " << platform::printable_name(rule.file) << ":" << rule.line
                      << ": " << platform::printable_name(rule.rule)
                      << ": matched nothing in the last " << settings.stale_rule_runs << " scans\n";
        }
    }
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
    report_stale_rules(config, settings, policy_set);
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

// ---- the annoying-files loop -------------------------------------------------------------

// The local policy file accept writes: one name inside the policy directory, a *.policy file
// the loader reads, never a conffile of a package (dpkg would ask about it at every upgrade,
// and a default file's rules are the package's).
constexpr std::string_view default_local_policy = "90-local.policy";

std::filesystem::path local_policy_file(const selection::ScanSettings& settings,
                                        const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos || name.front() == '.' ||
        name.size() <= 7 || name.substr(name.size() - 7) != ".policy") {
        throw CommandFailure(usage_error, "--file '" + platform::printable_name(name) +
                                              "': give a file name ending in .policy, not "
                                              "starting with '.', without '/' (it is created in " +
                                              settings.policy_dir.string() + ")");
    }
    std::filesystem::path file = settings.policy_dir / name;
    // The host's dpkg database (not the scanned root's): the policy directory is the host's.
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/var/lib/dpkg/info", error)) {
        if (entry.path().extension() != ".conffiles") {
            continue;
        }
        std::ifstream list(entry.path());
        for (std::string line; std::getline(list, line);) {
            if (line == file.string() || line == "remove-on-upgrade " + file.string()) {
                throw CommandFailure(usage_error, file.string() + " is a conffile of the package " +
                                                      entry.path().stem().string() +
                                                      ": accept writes to a local file (--file "
                                                      "NAME.policy, default " +
                                                      std::string(default_local_policy) + ")");
            }
        }
    }
    return file;
}

// The pattern matching exactly `path`, or its tree when `directory`. A newline cannot be
// written in a policy line: it becomes `?` (any one byte but '/'), the narrowest pattern that
// still matches the name.
std::string rule_pattern(const std::string& path, bool directory) {
    std::string pattern = policies::escape_pattern(path);
    std::replace(pattern.begin(), pattern.end(), '\n', '?');
    return directory ? pattern + "/" : pattern;
}

// The file's bytes; "" when it does not exist yet.
std::string read_whole(const std::filesystem::path& file) {
    platform::UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) {
            return {};
        }
        throw CommandFailure(failure, "read " + file.string() + ": " + std::strerror(errno));
    }
    std::string text;
    char buffer[65536];
    for (;;) {
        ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            throw CommandFailure(failure, "read " + file.string() + ": " + std::strerror(errno));
        }
        if (got == 0) {
            return text;
        }
        text.append(buffer, static_cast<std::size_t>(got));
    }
}

// Every error the parser finds in `text`, as FILE:LINE:COL messages.
std::vector<policies::PolicyError> parse_errors(const std::string& text,
                                                const std::string& file_name) {
    std::vector<policies::PolicyError> errors;
    policies::PolicyParser::parse(text, file_name, errors);
    return errors;
}

void write_all(int fd, const std::string& text, const std::string& what) {
    for (std::size_t done = 0; done < text.size();) {
        ssize_t written = ::write(fd, text.data() + done, text.size() - done);
        if (written < 0 && errno == EINTR) {
            continue;
        }
        if (written <= 0) {
            throw CommandFailure(failure, what + ": " + std::strerror(errno));
        }
        done += static_cast<std::size_t>(written);
    }
}

// `text` becomes `file`: a temporary file in the same directory (named with a leading '.', so
// the loader never reads it), read back and parsed, fsynced, renamed over `file`, the directory
// fsynced. A text the parser refuses never replaces the file; the temporary is removed.
void replace_policy_file(const std::filesystem::path& file, const std::string& text, mode_t mode) {
    std::string temp = (file.parent_path() / ("." + file.filename().string() + ".XXXXXX")).string();
    platform::UniqueFd fd(::mkostemp(temp.data(), O_CLOEXEC));
    if (!fd) {
        throw CommandFailure(failure, "create a temporary file in " + file.parent_path().string() +
                                          ": " + std::strerror(errno));
    }
    struct Remove {
        std::string path;
        bool keep = false;
        ~Remove() {
            if (!keep) {
                ::unlink(path.c_str());
            }
        }
    } remove{temp};
    write_all(fd.get(), text, "write " + temp);
    if (::fchmod(fd.get(), mode) != 0 || ::fsync(fd.get()) != 0) {
        throw CommandFailure(failure, "write " + temp + ": " + std::strerror(errno));
    }
    // The bytes on disk, through the parser every scan uses, under the name they will have.
    std::vector<policies::PolicyError> errors = parse_errors(read_whole(temp), file.string());
    if (!errors.empty()) {
        std::string shown;
        for (const policies::PolicyError& error : errors) {
            shown += "\n  " + platform::printable_message(error.what());
        }
        throw CommandFailure(config_error,
                             file.string() + " would not be valid; it is left as it was:" + shown);
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        throw CommandFailure(failure, "rename " + temp + " to " + file.string() + ": " +
                                          std::strerror(errno));
    }
    remove.keep = true;
    platform::UniqueFd directory(
        ::open(file.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory || ::fsync(directory.get()) != 0) {
        throw CommandFailure(failure,
                             "fsync " + file.parent_path().string() + ": " + std::strerror(errno));
    }
}

struct AcceptOptions {
    selection::ScanSettings::Overrides overrides;
    std::vector<std::string> paths;
    std::string verdict;
    std::string file{default_local_policy};
    std::string why;
    bool dry_run = false;
};

void accept(const GlobalOptions& global, const AcceptOptions& options) {
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    selection::ScanSettings settings =
        selection::ScanSettings::resolve(config.file(), options.overrides);
    std::filesystem::path file = local_policy_file(settings, options.file);

    // The rules: a directory (given with a trailing '/', or a directory in the scanned root)
    // becomes its tree, anything else the path alone.
    std::vector<std::string> rules;
    for (std::string path : options.paths) {
        bool directory = path.size() > 1 && path.back() == '/';
        while (path.size() > 1 && path.back() == '/') {
            path.pop_back();
        }
        if (path.empty() || path.front() != '/' || path == "/") {
            std::string shown;
            selection::append_text_escaped(shown, path);
            throw CommandFailure(usage_error,
                                 "accept: '" + shown +
                                     "': give an absolute path below / (as seen from the "
                                     "scanned root)");
        }
        struct stat info {};
        std::filesystem::path on_root = settings.root / path.substr(1);
        directory = directory || (::lstat(on_root.c_str(), &info) == 0 && S_ISDIR(info.st_mode));
        rules.push_back(options.verdict + " " + rule_pattern(path, directory));
    }

    std::string why = options.why.empty() ? std::string("accepted") : options.why;
    std::string added = "# " + today() + " offstage policy accept --as " + options.verdict + ": " +
                        platform::printable_name(why) + "\n";
    for (const std::string& rule : rules) {
        added += rule + "\n";
    }

    // Which annoying files of the last scan the new rules absorb. An annoying file matched no
    // rule at all, so a new rule matching it is its first match wherever the file sorts.
    policies::PolicySet new_rules;
    {
        std::vector<policies::PolicyError> errors = parse_errors(added, file.string());
        if (!errors.empty()) {
            std::string shown;
            for (const policies::PolicyError& error : errors) {
                shown += "\n  " + platform::printable_message(error.what());
            }
            throw CommandFailure(config_error, "the rule would not be valid; " + file.string() +
                                                   " is left as it was:" + shown);
        }
        new_rules = policies::PolicySet::parse(added, file.string());
    }
    std::string out;
    for (const std::string& rule : rules) {
        out += (options.dry_run ? "would add to " : "adding to ") + file.string() + ": ";
        selection::append_text_escaped(out, rule);
        out += '\n';
    }
    std::optional<catalog::LastScan> scan;
    std::string moved_to = options.verdict == "exclude" ? "excluded" : "expected";
    bool unreadable = false;
    try {
        std::optional<catalog::Catalog> catalog = open_catalog(config);
        if (catalog) {
            scan = catalog->last_scan();
        }
    } catch (const std::exception& error) {
        // The rule is still worth writing; only the count is unknown.
        unreadable = true;
        out += "the catalog could not be read (" + platform::printable_message(error.what()) +
               "): which files move is not known\n";
    }
    if (!scan && !unreadable) {
        out += "no scan is recorded in " + config.paths().catalog.string() +
               " yet: run `offstage run` to see which files move from annoying to " + moved_to +
               "\n";
    } else if (scan) {
        std::vector<const std::string*> moved;
        for (const std::string& path : scan->annoying) {
            if (new_rules.match(path, false) != nullptr) {
                moved.push_back(&path);
            }
        }
        out += std::to_string(moved.size()) + (moved.size() == 1 ? " file moves" : " files move") +
               " from annoying to " + moved_to + " (of the " +
               std::to_string(scan->annoying.size()) + " annoying files of the last scan, " +
               scan->day + ", as the catalog recorded them; re-decided with the new rules)\n";
        for (std::size_t i = 0; i < std::min<std::size_t>(moved.size(), 10); ++i) {
            out += "  ";
            selection::append_text_escaped(out, *moved[i]);
            out += '\n';
        }
        if (moved.size() > 10) {
            out += "  and " + std::to_string(moved.size() - 10) + " more\n";
        }
    }
    if (options.dry_run) {
        std::cout << out << "dry run: " << file.string() << " is unchanged\n";
        return;
    }

    // Under an exclusive lock on the policy directory, so two accepts do not lose a rule.
    platform::UniqueFd directory(
        ::open(settings.policy_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory || ::flock(directory.get(), LOCK_EX) != 0) {
        throw CommandFailure(failure, "lock the policy directory " + settings.policy_dir.string() +
                                          ": " + std::strerror(errno));
    }
    std::string text = read_whole(file);
    mode_t mode = 0644;
    struct stat info {};
    if (::stat(file.c_str(), &info) == 0) {
        mode = info.st_mode & 07777;
    }
    if (!text.empty() && text.back() != '\n') {
        text += '\n';
    }
    replace_policy_file(file, text + added, mode);
    std::cout << out << "wrote " << file.string() << "\n";
}

struct SuggestOptions {
    selection::ScanSettings::Overrides overrides;
    std::size_t min_files = 2;
};

// A database's data directory: its files change under the server, so a file copy is no
// backup; the database source's dumps are (docs/policy-language.md).
struct DataDirectory {
    std::string_view directory; // with its trailing '/'
    std::string_view section;   // the config section of the database source that dumps it
    std::string_view what;
};
constexpr std::array<DataDirectory, 2> data_directories{{
    {"/var/lib/mysql/", "mariadb", "MariaDB/MySQL data directory"},
    {"/var/lib/postgresql/", "postgresql", "PostgreSQL data directory"},
}};

void suggest(const GlobalOptions& global, const SuggestOptions& options) {
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    std::optional<catalog::Catalog> catalog = open_catalog(config);
    std::optional<catalog::LastScan> scan;
    if (catalog) {
        scan = catalog->last_scan();
    }
    if (!scan) {
        throw CommandFailure(failure, "no scan is recorded in " + config.paths().catalog.string() +
                                          ": run `offstage run` first");
    }
    std::string config_path = global.config_path == platform::staging_layout::default_config_path
                                  ? std::string()
                                  : global.config_path;
    std::string out = "# " + std::to_string(scan->annoying.size()) +
                      " annoying files in the last scan (" + scan->day + ")\n";
    // A data directory first, whole, however its files group.
    std::vector<std::string> rest;
    std::vector<std::size_t> in_data(data_directories.size(), 0);
    for (const std::string& path : scan->annoying) {
        auto data = std::find_if(data_directories.begin(), data_directories.end(),
                                 [&](const DataDirectory& d) {
                                     return path.compare(0, d.directory.size(), d.directory) == 0;
                                 });
        if (data == data_directories.end()) {
            rest.push_back(path);
        } else {
            ++in_data[static_cast<std::size_t>(data - data_directories.begin())];
        }
    }
    std::size_t proposals = 0;
    for (std::size_t i = 0; i < data_directories.size(); ++i) {
        if (in_data[i] == 0) {
            continue;
        }
        const DataDirectory& data = data_directories[i];
        bool covered = config.file().has_section(data.section);
        out += "# " + std::string(data.directory) + ": " + std::to_string(in_data[i]) +
               " files: the " + std::string(data.what) +
               (covered ? ", backed up by the [" + std::string(data.section) + "] dumps\n"
                        : "; no [" + std::string(data.section) +
                              "] section configures its dumps yet: add one, or these "
                              "databases are not backed up consistently\n");
        report::AnnoyingGroup group;
        group.path = data.directory;
        group.directory = true;
        group.files = in_data[i];
        out += report::accept_command(group, "exclude", config_path) + " --why " +
               report::shell_quoted(std::string(data.what) + ": backed up by dumps") + "\n";
        ++proposals;
    }
    std::size_t small = 0;
    for (const report::AnnoyingGroup& group : report::group_annoying_files(rest)) {
        if (group.files < options.min_files) {
            small += group.files;
            continue;
        }
        // Spelled as the mail and the status page spell the group (octal escapes).
        out += "# " + platform::printable_name(group.path) + ": " + std::to_string(group.files) +
               (group.files == 1 ? " file\n" : " files\n");
        out += report::accept_command(group, "expect", config_path) + "\n";
        ++proposals;
    }
    if (small > 0) {
        out += "# " + std::to_string(small) + " more annoying files in groups of fewer than " +
               std::to_string(options.min_files) +
               ": `offstage policy suggest --min 1` lists them\n";
    }
    if (proposals == 0 && small == 0) {
        out += "# nothing to suggest: no file is annoying\n";
    }
    std::cout << out;
}

// Runs a policy subcommand: whatever it throws may name a file of the root, so control bytes
// are quoted, and main()'s exit statuses are kept (configuration error, failure).
void with_exit_statuses(const std::function<void()>& command) {
    try {
        command();
    } catch (const CommandFailure&) {
        throw;
    } catch (const platform::ConfigError& error) {
        throw CommandFailure(config_error, platform::printable_message(error.what()));
    } catch (const std::exception& error) {
        throw CommandFailure(failure, platform::printable_message(error.what()));
    }
}

} // namespace

void add_policy_command(CLI::App& app, const GlobalOptions& global) {
    CLI::App* policy = app.add_subcommand(
        "policy", "check the policy files, explain a path, accept or suggest rules");
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
        with_exit_statuses([&] { explain(global, *explain_overrides, *paths); });
    });

    auto accept_options = std::make_shared<AcceptOptions>();
    CLI::App* accept_command = policy->add_subcommand(
        "accept", "append the narrowest rule for PATH (a directory: its tree) to the local "
                  "policy file");
    add_location_options(*accept_command, accept_options->overrides);
    accept_command
        ->add_option("PATH", accept_options->paths,
                     "absolute paths as seen from the root; a directory becomes DIR/")
        ->required();
    accept_command->add_option("--as", accept_options->verdict, "expect or exclude")
        ->required()
        ->check(CLI::IsMember({"expect", "exclude"}));
    accept_command->add_option("--file", accept_options->file,
                               "the local policy file in the policy directory (default " +
                                   std::string(default_local_policy) + ")");
    accept_command->add_option("--why", accept_options->why, "the reason, in the rule's comment");
    accept_command->add_flag("--dry-run", accept_options->dry_run,
                             "show what would change, write nothing");
    accept_command->callback([accept_options, &global]() {
        with_exit_statuses([&] { accept(global, *accept_options); });
    });

    auto suggest_options = std::make_shared<SuggestOptions>();
    CLI::App* suggest_command = policy->add_subcommand(
        "suggest", "propose rules that absorb the last scan's annoying files, as accept commands");
    suggest_command
        ->add_option("--min", suggest_options->min_files,
                     "propose groups of at least this many files (default 2)")
        ->check(CLI::Range(1, 1000000));
    suggest_command->callback([suggest_options, &global]() {
        with_exit_statuses([&] { suggest(global, *suggest_options); });
    });
}

} // namespace offstage::cli
