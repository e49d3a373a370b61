// offstage: the stager's command line. Thin: parse, dispatch, turn errors into a message
// naming what failed and a documented exit status (exit_status.hpp).
#include "platform/config_file.hpp"
#include "platform/termination_signals.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"

#include <clocale>
#include <cstdio>
#include <iostream>
#include <system_error>

int main(int argc, char** argv) {
    using namespace offstage::cli;
    // Paths are bytes: never let a locale re-encode them. LC_CTYPE=C.UTF-8 is what libarchive's
    // pax writer needs to store any byte string faithfully (hdrcharset=BINARY otherwise).
    std::setlocale(LC_ALL, "C");
    std::setlocale(LC_CTYPE, "C.UTF-8");
    // SIGHUP, SIGINT, SIGTERM, SIGPIPE: remove the temporary output files, then die of the
    // signal. Before any thread starts, so that every thread inherits the same dispositions.
    offstage::platform::install_termination_cleanup();

    CLI::App app{"offstage: stage encrypted backups of a Debian host for an offsite pull",
                 "offstage"};
    app.require_subcommand(1);
    app.set_version_flag("--version", "offstage 0.1.0");
    GlobalOptions global;
    app.add_option("--config", global.config_path, "configuration file")->capture_default_str();
    app.add_flag("-q,--quiet", global.quiet, "no progress display");

    add_scan_command(app, global);
    add_policy_command(app, global);
    add_key_command(app, global);
    add_crypt_commands(app, global);
    add_archive_commands(app, global);
    add_status_command(app, global);
    add_verify_command(app, global);
    add_restore_command(app, global);
    add_drill_command(app, global);
    add_run_command(app, global);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        int status = app.exit(error);
        return status == 0 ? success : usage_error;
    } catch (const CommandFailure& error) {
        if (*error.what() != '\0') {
            std::cerr << "offstage: " << error.what() << '\n';
        }
        return error.status();
    } catch (const offstage::platform::ConfigError& error) {
        std::cerr << "offstage: " << error.what() << '\n';
        return config_error;
    } catch (const std::system_error& error) {
        std::cerr << "offstage: " << error.what() << '\n';
        return failure;
    } catch (const std::exception& error) {
        std::cerr << "offstage: " << error.what() << '\n';
        return failure;
    }
    std::cout.flush();
    if (!std::cout) {
        std::cerr << "offstage: error writing to standard output\n";
        return failure;
    }
    return success;
}
