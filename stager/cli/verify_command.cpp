// `offstage verify DIR|DATE [-i IDENTITY]... [-P PUBKEY_FILE]`: checks a day of the staging tree,
// on the host or a pulled copy, and prints one verdict line per check (stager/restore/,
// docs/offstage-verify.8). Exit statuses: 0 all good, 4 (integrity_error) when any check
// failed, 1 when something could not be read so nothing is proven, 2 for usage. Its options are
// shared with `offstage restore` (day_command_options.hpp).
#include "stager/cli/commands.hpp"
#include "stager/cli/day_command_options.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/restore/day_verifier.hpp"

#include <memory>

namespace offstage::cli {
namespace {

void run_verify(const GlobalOptions& global, DayCommandOptions arguments) {
    apply_config_defaults(global, arguments);
    restore::VerifyOptions options;
    options.day_dir = day_directory(arguments);
    options.identities = load_identities("verify", arguments);
    options.public_key = public_key("verify", arguments);

    restore::VerifySummary summary = verify_printing("verify", options);
    if (summary.bad > 0) {
        throw CommandFailure(integrity_error, "");
    }
    if (summary.errors > 0) {
        throw CommandFailure(failure, "");
    }
}

} // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<DayCommandOptions>();
    CLI::App* verify = app.add_subcommand(
        "verify", "check a day of the staging tree (or a pulled copy): signature, SHA256SUMS, "
                  "every artifact, and with -i their decryption to the end");
    add_day_options(*verify, *arguments);
    verify
        ->add_option("-i,--identity", arguments->identity_files,
                     "age identity file: decrypt every artifact to the end (repeatable)")
        ->allow_extra_args(false);
    verify->callback([&global, arguments] { run_verify(global, *arguments); });
}

} // namespace offstage::cli
