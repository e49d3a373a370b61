#include "stager/cli/day_command_options.hpp"

#include "platform/printable_name.hpp"
#include "platform/staging_layout.hpp"
#include "stager/age/age_error.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"

#include <fstream>
#include <iostream>

namespace offstage::cli {

namespace {

namespace layout = platform::staging_layout;

std::string read_small_file(const std::string& command, const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw CommandFailure(usage_error,
                             command + ": cannot read " + platform::printable_name(path));
    }
    std::string text;
    text.resize(64 * 1024);
    in.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(in.gcount()));
    return text;
}

} // namespace

void add_day_options(CLI::App& command, DayCommandOptions& options) {
    command
        .add_option("target", options.target,
                    "a day directory (a path), or a day (YYYY-MM-DD) of the staging root")
        ->required();
    command.add_option("-P,--public-key", options.public_key_file,
                       "minisign public key file (`offstage key signing` prints it); keep it "
                       "off the host");
    command.add_option("--signing-key", options.signing_key,
                       "without -P: the host's signing key whose public half is used (default: "
                       "[staging] signing_key)");
    command.add_option("--staging-root", options.staging_root,
                       "where a DATE is looked up (default: [staging] root)");
}

void apply_config_defaults(const GlobalOptions& global, DayCommandOptions& options) {
    if (!options.signing_key.empty() && !options.staging_root.empty()) {
        return;
    }
    config::StagerConfig::Paths configured = config::StagerConfig::load(global.config_path).paths();
    if (options.signing_key.empty()) {
        options.signing_key = configured.signing_key.string();
    }
    if (options.staging_root.empty()) {
        options.staging_root = configured.staging_root.string();
    }
}

std::filesystem::path day_directory(const DayCommandOptions& options) {
    if (layout::is_day_name(options.target)) {
        return std::filesystem::path(options.staging_root) / options.target;
    }
    return options.target;
}

std::vector<age::X25519Identity> load_identities(const std::string& command,
                                                 const DayCommandOptions& options) {
    std::vector<age::X25519Identity> identities;
    try {
        for (const auto& file : options.identity_files) {
            for (auto& identity : age::load_identities_file(file)) {
                identities.push_back(identity);
            }
        }
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, command + ": " + error.what());
    }
    return identities;
}

staging::MinisignPublicKey public_key(const std::string& command,
                                      const DayCommandOptions& options) {
    if (!options.public_key_file.empty()) {
        try {
            return staging::MinisignPublicKey::parse(
                read_small_file(command, options.public_key_file));
        } catch (const staging::SignatureError& error) {
            throw CommandFailure(
                usage_error, command + ": " + platform::printable_name(options.public_key_file) +
                                 ": " + error.what());
        }
    }
    std::cerr << "offstage: " << command
              << ": warning: no -P: using the public half of the host's signing key "
              << platform::printable_name(options.signing_key)
              << "; a verifier should hold the public key off the host\n";
    try {
        return staging::SigningKey::load(options.signing_key).public_key();
    } catch (const staging::SignatureError& error) {
        throw CommandFailure(usage_error, command + ": no public key: give -P PUBKEY_FILE (" +
                                              error.what() + ")");
    }
}

restore::VerifySummary verify_printing(const std::string& command,
                                       const restore::VerifyOptions& options) {
    restore::VerifySummary summary;
    try {
        summary = restore::verify_day(options, [](const restore::VerdictLine& line) {
            std::cout << restore::format_line(line) << std::endl; // a line as soon as decided
        });
    } catch (const std::system_error& error) {
        throw CommandFailure(failure, command + ": " + platform::printable_message(error.what()));
    }
    std::cout << restore::format_summary(summary, !options.identities.empty()) << std::endl;
    return summary;
}

} // namespace offstage::cli
