// The command groups of `offstage`. Each add_* registers its subcommands on the app; their
// callbacks throw CommandFailure (exit_status.hpp) to fail with a given status.
#pragma once

#include "platform/staging_layout.hpp"

#include <CLI/CLI.hpp>

namespace offstage::cli {

// Options every command shares, filled in before any subcommand callback runs.
struct GlobalOptions {
    std::string config_path{platform::staging_layout::default_config_path};
    bool quiet = false;
};

void add_scan_command(CLI::App& app, const GlobalOptions& global);     // scan_command.cpp
void add_policy_command(CLI::App& app, const GlobalOptions& global);   // policy_command.cpp
void add_key_command(CLI::App& app, const GlobalOptions& global);      // key_command.cpp
void add_crypt_commands(CLI::App& app, const GlobalOptions& global);   // crypt_commands.cpp
void add_archive_commands(CLI::App& app, const GlobalOptions& global); // archive_commands.cpp
void add_status_command(CLI::App& app, const GlobalOptions& global);   // status_command.cpp
void add_verify_command(CLI::App& app, const GlobalOptions& global);   // verify_command.cpp
void add_run_command(CLI::App& app, const GlobalOptions& global);      // run_command.cpp
void add_restore_command(CLI::App& app, const GlobalOptions& global);  // restore_command.cpp
void add_drill_command(CLI::App& app, const GlobalOptions& global);    // drill_command.cpp

} // namespace offstage::cli
