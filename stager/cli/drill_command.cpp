// `offstage drill DIR|DATE -i IDENTITY [--only db|afs|KIND|KIND/NAME]...`: proves that a day's
// dumps restore (docs/drill.md, docs/offstage-drill.8). The day is verified first, exactly as
// `offstage verify -i` does (a day that does not verify is not drilled: exit 4); then every
// Drill (drill::all_drills()) restores its kind's artifacts into throwaway servers in a scratch
// directory (mode 0700, removed afterwards) and compares them with their fingerprints. One line
// per subject, a summary, and exit 7 (drill_mismatch) when anything does not match. On the host
// (the day is one of the configured staging root and the catalog exists) the verdicts go to the
// catalog too.
#include "platform/staging_layout.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/day_command_options.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/drill/drill.hpp"
#include "stager/drill/scratch_watchdog.hpp"

#include <cstdio>
#include <cstring>
#include <fmt/format.h>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace fs = std::filesystem;

namespace offstage::cli {
namespace {

struct DrillArguments {
    DayCommandOptions day;
    std::vector<std::string> only;
    std::string afs_server;    // over [afs] drill_server
    std::string afs_partition; // over [afs] drill_partition
};

// [afs] drill_server and drill_partition, with --afs-server and --afs-partition over them.
drill::DrillSettings drill_settings(const GlobalOptions& global, const DrillArguments& arguments) {
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    drill::DrillSettings settings = config.drill_settings();
    if (arguments.afs_server.empty() && arguments.afs_partition.empty()) {
        return settings;
    }
    std::string server = arguments.afs_server;
    std::string partition = arguments.afs_partition;
    if (settings.afs_cell) {
        server = server.empty() ? settings.afs_cell->server : server;
        partition = partition.empty() ? settings.afs_cell->partition : partition;
    }
    if (server.empty() || partition.empty()) {
        throw CommandFailure(usage_error,
                             "drill: --afs-server and --afs-partition go together (or with [afs] "
                             "drill_server and drill_partition of offstage.toml)");
    }
    settings.afs_cell = config.afs_drill_cell(server, partition);
    return settings;
}

// A 0700 directory for the drills' throwaway servers and restored copies, removed with
// everything in it: by the destructor, or by its watchdog should the drill be killed (the
// restored plaintext must not stay behind).
class ScratchDirectory {
public:
    ScratchDirectory() {
        std::string pattern = (fs::temp_directory_path() / "offstage-drill-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw CommandFailure(failure, "drill: cannot make a scratch directory in " +
                                              fs::temp_directory_path().string() + ": " +
                                              std::strerror(errno));
        }
        path_ = pattern;
        try {
            watchdog_.emplace(path_);
        } catch (...) {
            ::rmdir(path_.c_str());
            throw;
        }
    }
    ~ScratchDirectory() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
    std::optional<drill::ScratchWatchdog> watchdog_;
};

bool selected(const drill::Drill& drill, const std::vector<std::string>& only) {
    if (only.empty()) {
        return true;
    }
    for (const std::string& word : only) {
        if (word == drill.family() || word == drill.kind() ||
            word.starts_with(drill.kind() + "/")) {
            return true;
        }
    }
    return false;
}

std::string size_text(std::uint64_t bytes) {
    if (bytes >= (1u << 20)) {
        return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
    }
    return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024);
}

// The catalog of this host when `day_dir` is a day of its configured staging root.
std::optional<catalog::Catalog> host_catalog(const GlobalOptions& global, const fs::path& day_dir) {
    try {
        config::StagerConfig config = config::StagerConfig::load(global.config_path);
        config::StagerConfig::Paths paths = config.paths();
        std::error_code error;
        fs::path root = fs::canonical(paths.staging_root, error);
        fs::path parent = fs::canonical(day_dir, error).parent_path();
        if (error || root != parent) {
            return std::nullopt;
        }
        catalog::CatalogSettings settings;
        settings.path = paths.catalog;
        return catalog::Catalog::open_existing(settings);
    } catch (const std::exception&) {
        return std::nullopt; // off-host, or no readable configuration: nothing to record in
    }
}

void run_drill(const GlobalOptions& global, DrillArguments arguments) {
    for (const std::string& word : arguments.only) {
        if (word.empty() || word.find_first_of(" \t\n") != std::string::npos) {
            throw CommandFailure(usage_error, "drill: --only takes db, afs, a kind "
                                              "(mariadb, postgresql, sqlite, afs) or KIND/NAME");
        }
    }
    apply_config_defaults(global, arguments.day);
    drill::DrillSettings settings = drill_settings(global, arguments);
    restore::VerifyOptions options;
    options.day_dir = day_directory(arguments.day);
    options.identities = load_identities("drill", arguments.day);
    options.public_key = public_key("drill", arguments.day);
    restore::VerifySummary verified = verify_printing("drill", options);
    if (verified.bad > 0) {
        throw CommandFailure(integrity_error,
                             "drill: the day does not verify: nothing was restored");
    }
    if (verified.errors > 0 || !verified.sums) {
        throw CommandFailure(failure, "drill: the day could not be verified: nothing was restored");
    }

    restore::DayDirectory day(options.day_dir);
    ScratchDirectory scratch;
    drill::DrillContext context{day, options.identities, scratch.path(), {}, arguments.only};
    for (const auto& [name, digest] : *verified.sums) {
        if (name.ends_with(".age")) {
            context.artifacts.push_back(name);
        }
    }
    auto started_at = std::chrono::system_clock::now();
    std::vector<drill::DrillVerdict> verdicts;
    std::size_t failed_kinds = 0;
    for (const std::unique_ptr<drill::Drill>& drill : drill::all_drills(settings)) {
        if (!selected(*drill, arguments.only)) {
            continue;
        }
        try {
            for (drill::DrillVerdict& verdict : drill->run(context)) {
                std::cout << (verdict.ok ? "ok        " : "MISMATCH  ") << verdict.subject << ": "
                          << verdict.detail << " (" << size_text(verdict.plaintext_bytes) << ", "
                          << fmt::format("{:.1f}", verdict.elapsed.count()) << " s)" << std::endl;
                verdicts.push_back(std::move(verdict));
            }
        } catch (const std::exception& error) {
            ++failed_kinds;
            std::cout << "ERROR     " << drill->kind() << ": cannot drill: " << error.what()
                      << std::endl;
        }
    }
    std::size_t mismatches = 0;
    std::uint64_t bytes = 0;
    for (const drill::DrillVerdict& verdict : verdicts) {
        mismatches += verdict.ok ? 0 : 1;
        bytes += verdict.plaintext_bytes;
    }
    std::cout << "drill " << verified.day << ": " << verdicts.size() << " subjects, "
              << verdicts.size() - mismatches << " equal, " << mismatches << " not matching"
              << (failed_kinds ? fmt::format(", {} kinds could not be drilled", failed_kinds) : "")
              << ", " << size_text(bytes) << " restored" << std::endl;

    if (std::optional<catalog::Catalog> catalog = host_catalog(global, options.day_dir)) {
        std::vector<catalog::Catalog::DrillRecord> records;
        for (const drill::DrillVerdict& verdict : verdicts) {
            records.push_back({verified.day, started_at, verdict.subject, verdict.ok,
                               verdict.detail, verdict.plaintext_bytes, verdict.elapsed.count()});
        }
        catalog->record_drills(records);
    }
    if (mismatches > 0) {
        throw CommandFailure(drill_mismatch, "");
    }
    if (failed_kinds > 0) {
        throw CommandFailure(failure, "");
    }
}

} // namespace

void add_drill_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<DrillArguments>();
    CLI::App* drill = app.add_subcommand(
        "drill", "prove a day's dumps restore: verify the day, restore each database dump into a "
                 "throwaway server and compare it with its fingerprint");
    add_day_options(*drill, arguments->day);
    drill
        ->add_option("-i,--identity", arguments->day.identity_files,
                     "age identity file that decrypts the day (repeatable)")
        ->required();
    drill->add_option("--only", arguments->only,
                      "drill only these: db, afs, a kind (mariadb...) or KIND/NAME (repeatable)");
    drill->add_option("--afs-server", arguments->afs_server,
                      "vos restore each AFS dump into this file server (over [afs] drill_server)");
    drill->add_option("--afs-partition", arguments->afs_partition,
                      "the partition of --afs-server (over [afs] drill_partition)");
    drill->callback([&global, arguments] { run_drill(global, *arguments); });
}

} // namespace offstage::cli
