// `offstage verify DIR|DATE [-i IDENTITY]... [-P PUBKEY_FILE]`: checks a day of the staging tree,
// on the host or a pulled copy, and prints one verdict line per check (stager/restore/,
// docs/offstage-verify.8). Exit statuses: 0 all good, 4 (integrity_error) when any check
// failed, 1 when something could not be read so nothing is proven, 2 for usage.
#include "platform/staging_layout.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/identity.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/restore/day_verifier.hpp"
#include "stager/restore/printable.hpp"
#include "stager/staging/minisign.hpp"

#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

namespace offstage::cli {
namespace {

namespace layout = platform::staging_layout;

struct VerifyArguments {
    std::string target;
    std::vector<std::string> identity_files;
    std::string public_key_file;
    std::string signing_key;  // default: [staging] signing_key of offstage.toml
    std::string staging_root; // default: [staging] root
};

// A bare day name is a day of the staging root; anything else (./2026-11-22 included) is a
// directory path.
std::filesystem::path day_directory(const VerifyArguments& arguments) {
    if (layout::is_day_name(arguments.target)) {
        return std::filesystem::path(arguments.staging_root) / arguments.target;
    }
    return arguments.target;
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw CommandFailure(usage_error, "verify: cannot read " + restore::printable(path));
    }
    std::string text;
    text.resize(64 * 1024);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

// -P FILE; else the public half of the host's signing key, which proves little: whoever could
// change the tree on the host could change the key there too.
staging::MinisignPublicKey public_key(const VerifyArguments& arguments) {
    if (!arguments.public_key_file.empty()) {
        try {
            return staging::MinisignPublicKey::parse(read_small_file(arguments.public_key_file));
        } catch (const staging::SignatureError& error) {
            throw CommandFailure(usage_error,
                                 "verify: " + restore::printable(arguments.public_key_file) + ": " +
                                     error.what());
        }
    }
    std::cerr << "offstage: verify: warning: no -P: using the public half of the host's signing "
                 "key "
              << restore::printable(arguments.signing_key)
              << "; a verifier should hold the public key off the host\n";
    try {
        return staging::SigningKey::load(arguments.signing_key).public_key();
    } catch (const staging::SignatureError& error) {
        throw CommandFailure(usage_error,
                             std::string("verify: no public key: give -P PUBKEY_FILE (") +
                                 error.what() + ")");
    }
}

void run_verify(const GlobalOptions& global, VerifyArguments arguments) {
    // Off-host there is usually no offstage.toml: then the defaults hold.
    if (arguments.signing_key.empty() || arguments.staging_root.empty()) {
        config::StagerConfig::Paths configured =
            config::StagerConfig::load(global.config_path).paths();
        if (arguments.signing_key.empty()) {
            arguments.signing_key = configured.signing_key.string();
        }
        if (arguments.staging_root.empty()) {
            arguments.staging_root = configured.staging_root.string();
        }
    }
    restore::VerifyOptions options;
    options.day_dir = day_directory(arguments);
    try {
        for (const auto& file : arguments.identity_files) {
            for (auto& identity : age::load_identities_file(file)) {
                options.identities.push_back(identity);
            }
        }
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, std::string("verify: ") + error.what());
    }
    options.public_key = public_key(arguments);

    restore::VerifySummary summary;
    try {
        summary = restore::verify_day(options, [](const restore::VerdictLine& line) {
            std::cout << restore::format_line(line) << std::endl; // a line as soon as decided
        });
    } catch (const std::system_error& error) {
        throw CommandFailure(failure, "verify: " + restore::printable(error.what()));
    }
    std::cout << restore::format_summary(summary, !options.identities.empty()) << std::endl;
    if (summary.bad > 0) {
        throw CommandFailure(integrity_error, "");
    }
    if (summary.errors > 0) {
        throw CommandFailure(failure, "");
    }
}

} // namespace

void add_verify_command(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<VerifyArguments>();
    CLI::App* verify = app.add_subcommand(
        "verify", "check a day of the staging tree (or a pulled copy): signature, SHA256SUMS, "
                  "every artifact, and with -i their decryption to the end");
    verify
        ->add_option("target", arguments->target,
                     "a day directory (a path), or a day (YYYY-MM-DD) of the staging root")
        ->required();
    verify
        ->add_option("-i,--identity", arguments->identity_files,
                     "age identity file: decrypt every artifact to the end (repeatable)")
        ->allow_extra_args(false);
    verify->add_option("-P,--public-key", arguments->public_key_file,
                       "minisign public key file (`offstage key signing` prints it); keep it "
                       "off the host");
    verify->add_option("--signing-key", arguments->signing_key,
                       "without -P: the host's signing key whose public half is used (default: "
                       "[staging] signing_key)");
    verify->add_option("--staging-root", arguments->staging_root,
                       "where a DATE is looked up (default: [staging] root)");
    verify->callback([&global, arguments] { run_verify(global, *arguments); });
}

} // namespace offstage::cli
