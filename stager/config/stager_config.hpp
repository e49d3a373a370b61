// offstage.toml as `offstage` reads it: the file checked whole against platform's key table
// (platform/config_table.cpp), then what only the stager can check: every [encryption]
// recipient parsed as an age key, and the recipients_file read. Every command that reads the
// configuration loads all of it, whatever its command line overrides: a bad config is bad
// whatever the command line says, and `scan`, `policy check`, `archive` and `encrypt` agree on
// every file. Errors are platform::ConfigError naming FILE:LINE:COL (exit status 3).
#pragma once

#include "platform/config_file.hpp"
#include "stager/age/recipient.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/drill/drill.hpp"
#include "stager/run/run_settings.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::config {

// What the command line chose over [archive]; nullopt: the file (else the default) decides.
struct CompressionChoice {
    std::optional<bool> zstd = std::nullopt;
    std::optional<int> level = std::nullopt;   // 1..19, checked by the option
    std::optional<int> threads = std::nullopt; // 0..platform::thread_limit(), by the option
};

class StagerConfig {
public:
    // Reads and checks `path`. When `path` is the default path and nothing is there, every
    // setting takes its default; a file named with --config must exist.
    static StagerConfig load(const std::filesystem::path& path);

    const platform::ConfigFile& file() const { return file_; }

    // [encryption] recipients, then those of recipients_file; empty when neither is set.
    const std::vector<age::X25519Recipient>& recipients() const { return recipients_; }
    // What a command encrypts to: the command line's -r and -R when it names any, else
    // recipients(). A bad -r or -R throws age::AgeError (the command line's fault, not the
    // file's).
    std::vector<age::X25519Recipient>
    recipients_or(const std::vector<std::string>& given,
                  const std::vector<std::string>& given_files) const;

    // [archive] with the command line over it. Threads 0 ("one per CPU") becomes the number of
    // CPUs this process may use (sched_getaffinity), not the machine's count.
    archive::CompressionSettings compression(const CompressionChoice& command_line = {}) const;

    // Where the staging tree and the run's state are ([staging], [run], [catalog]), with the
    // documented defaults: what `run`, `status` and `verify` share.
    struct Paths {
        std::filesystem::path staging_root;
        std::filesystem::path work_root;
        std::filesystem::path signing_key;
        std::filesystem::path run_lock;
        std::filesystem::path state_dir;
        std::filesystem::path catalog;
    };
    Paths paths() const;

    // Everything `offstage run` needs: [scan], [staging], [run], [catalog], [[spool]],
    // [encryption] and [archive], with the documented defaults (docs/offstage.toml.5). Throws
    // ConfigError at the place of a value the table allows but the run cannot use (an unknown
    // group, no recipient at all, two spools of one name).
    run::RunSettings run_settings(const std::filesystem::path& config_path) const;

    // What `offstage drill` takes from the file: the AFS drill cell of [afs] drill_server and
    // drill_partition, reached with [afs] vos, auth_wrapper, config_dir and cell. Throws
    // ConfigError at drill_server when one of the pair is set without the other.
    drill::DrillSettings drill_settings() const;
    // A drill cell on `server` and `partition` (drill's --afs-server and --afs-partition),
    // reached with [afs] vos, auth_wrapper, config_dir and cell.
    drill::AfsDrillCell afs_drill_cell(std::string server, std::string partition) const;

private:
    explicit StagerConfig(platform::ConfigFile file);

    platform::ConfigFile file_;
    std::vector<age::X25519Recipient> recipients_;
};

} // namespace offstage::config
