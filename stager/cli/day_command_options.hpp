// The options of the commands that read one day of the staging tree, on the host or a pulled
// copy (`offstage verify`, `offstage restore`): the day, the public key that checks its
// signature, and the config defaults they fall back to. One definition, so that both commands
// name, default and check them alike (docs/offstage-verify.8, docs/offstage-restore.8).
#pragma once

#include "stager/age/identity.hpp"
#include "stager/cli/commands.hpp"
#include "stager/restore/day_verifier.hpp"
#include "stager/staging/minisign.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace offstage::cli {

struct DayCommandOptions {
    std::string target; // DIR or DATE
    std::vector<std::string> identity_files;
    std::string public_key_file;
    std::string signing_key;  // default: [staging] signing_key of offstage.toml
    std::string staging_root; // default: [staging] root
};

// Adds the DIR|DATE argument, -P, --signing-key and --staging-root to `command` (each command
// adds -i itself: verify takes it optionally, restore requires it).
void add_day_options(CLI::App& command, DayCommandOptions& options);

// Fills signing_key and staging_root from offstage.toml where they were not given. Off-host
// there is usually no offstage.toml: then the defaults hold.
void apply_config_defaults(const GlobalOptions& global, DayCommandOptions& options);

// A bare day name is a day of the staging root; anything else (./2026-11-22 included) is a
// directory path.
std::filesystem::path day_directory(const DayCommandOptions& options);

// The identities of every -i file; CommandFailure(usage_error) naming `command` and the file.
std::vector<age::X25519Identity> load_identities(const std::string& command,
                                                 const DayCommandOptions& options);

// -P FILE; else the public half of the host's signing key, with a warning: whoever could change
// the tree on the host could change the key there too.
staging::MinisignPublicKey public_key(const std::string& command, const DayCommandOptions& options);

// Runs restore::verify_day, printing each verdict line on standard output as soon as it is
// decided, then the summary line. CommandFailure(failure) when the day cannot be opened at all.
restore::VerifySummary verify_printing(const std::string& command,
                                       const restore::VerifyOptions& options);

} // namespace offstage::cli
