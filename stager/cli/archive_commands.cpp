// `offstage archive` and `offstage extract`: the encrypted archive format of docs/archive-format.md
// from a list of paths, and back into a directory. Exit statuses as in exit_status.hpp: partial
// (5) when some inputs were reported (vanished, changed, unreadable), integrity_error (4) when
// the artifact does not decrypt or is not a safe offstage archive.
#include "platform/config_limits.hpp"
#include "platform/fd_stream.hpp"
#include "platform/printable_name.hpp"
#include "platform/progress_meter.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/identity.hpp"
#include "stager/age/recipient.hpp"
#include "stager/archive/archive_extractor.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/archive/nul_separated_list.hpp"
#include "stager/archive/output_path.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"

#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <unistd.h>
#include <vector>

namespace offstage::cli {

namespace {

struct ArchiveArguments {
    std::vector<std::string> recipients;
    std::vector<std::string> recipient_files;
    std::string compression;
    int level = -1;
    int threads = -1;
    std::string list;
    std::string output;
    std::vector<std::string> paths;
};

struct ExtractArguments {
    std::vector<std::string> identity_files;
    std::string target;
    std::string artifact;
};

// What the command line chose over [archive] (-1 and "": nothing).
config::CompressionChoice compression_choice(const ArchiveArguments& arguments) {
    config::CompressionChoice choice;
    if (!arguments.compression.empty()) {
        choice.zstd = arguments.compression == "zstd";
    }
    if (arguments.level >= 0) {
        choice.level = arguments.level;
    }
    if (arguments.threads >= 0) {
        choice.threads = arguments.threads;
    }
    return choice;
}

// -r and -R; when neither is given, [encryption] of the configuration.
std::vector<age::X25519Recipient> recipients(const config::StagerConfig& config,
                                             const ArchiveArguments& arguments) {
    std::vector<age::X25519Recipient> result;
    try {
        result = config.recipients_or(arguments.recipients, arguments.recipient_files);
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, error.what());
    }
    if (result.empty()) {
        throw CommandFailure(usage_error, "archive: no recipient: give -r RECIPIENT or "
                                          "-R FILE, or set [encryption] recipients");
    }
    return result;
}

void run_archive(const GlobalOptions& global, const ArchiveArguments& arguments) {
    if (arguments.list.empty() && arguments.paths.empty()) {
        throw CommandFailure(usage_error, "archive: nothing to archive: give --from0 LIST "
                                          "(or - for standard input) or paths");
    }
    // All of the configuration, even what the command line overrides: a bad file is bad
    // whatever the command line says.
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    archive::CompressionSettings compression = config.compression(compression_choice(arguments));
    age::EncryptOptions keys;
    keys.recipients = recipients(config, arguments);

    // A file appears only once complete (AtomicOutputFile). Standard output, a device or a FIFO
    // cannot be taken back: a failed run leaves a stream without age's final chunk, which no
    // reader accepts. archive::OutputPath refuses anything else before any input is read.
    const bool to_stdout = arguments.output == "-";
    if (to_stdout && ::isatty(STDOUT_FILENO) == 1) {
        throw CommandFailure(usage_error, "archive: refusing to write an encrypted archive to a "
                                          "terminal: give -o FILE or redirect standard output");
    }
    const std::string output_name =
        to_stdout ? "standard output" : archive::quoted_path(arguments.output);
    std::unique_ptr<platform::ByteSink> file;
    std::optional<platform::FdSink> standard_output;
    platform::ByteSink* output = nullptr;
    if (to_stdout) {
        output = &standard_output.emplace(STDOUT_FILENO, output_name);
    } else {
        try {
            file = archive::OutputPath::check(arguments.output).open();
        } catch (const archive::OutputPathRefused& error) {
            throw CommandFailure(usage_error, std::string("archive: ") + error.what());
        }
        output = file.get();
    }

    platform::ProgressMeter progress("archive", !global.quiet);
    archive::EncryptedArchiveWriter writer(*output, keys, compression, &progress);
    for (const std::string& path : arguments.paths) {
        writer.add(path);
    }
    if (!arguments.list.empty()) {
        platform::UniqueFd list_fd;
        int fd = STDIN_FILENO;
        if (arguments.list != "-") {
            list_fd.reset(::open(arguments.list.c_str(), O_RDONLY | O_CLOEXEC));
            if (!list_fd) {
                platform::throw_errno("open the path list " + arguments.list);
            }
            fd = list_fd.get();
        }
        platform::FdSource source(fd, arguments.list == "-" ? "standard input" : arguments.list);
        archive::NulSeparatedList list(source);
        while (auto path = list.next()) {
            writer.add(*path);
        }
    }
    writer.commit();
    progress.finish();

    const auto& problems = writer.problems();
    for (const auto& problem : problems) {
        std::cerr << "offstage: " << platform::printable_name(problem.path) << ": " << problem.what
                  << '\n';
    }
    if (!global.quiet && ::isatty(STDERR_FILENO) == 1) {
        std::cerr << "offstage: archived " << writer.tar().counts().entries << " entries ("
                  << platform::ProgressMeter::format_bytes(
                         static_cast<double>(writer.tar().counts().bytes_read))
                  << " of file content) into " << output_name << '\n';
    }
    if (!problems.empty()) {
        throw CommandFailure(partial, "archive: " + std::to_string(problems.size()) +
                                          " input(s) reported above; " + output_name +
                                          " holds everything else");
    }
}

void run_extract(const GlobalOptions& global, const ExtractArguments& arguments) {
    age::DecryptOptions keys;
    try {
        for (const std::string& file : arguments.identity_files) {
            for (auto& identity : age::load_identities_file(file)) {
                keys.identities.push_back(identity);
            }
        }
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, error.what());
    }
    platform::UniqueFd fd(::open(arguments.artifact.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        platform::throw_errno("open " + arguments.artifact);
    }
    platform::FdSource file(fd.get(), arguments.artifact);
    platform::ProgressMeter progress("extract", !global.quiet);
    const std::string target = platform::printable_name(arguments.target);
    // Entries reported before a failure are shown too: they are part of what is under target.
    std::optional<age::Decryptor> plaintext;
    std::optional<archive::ArchiveExtractor> extractor;
    auto report = [&] {
        progress.finish();
        if (extractor) {
            for (const auto& problem : extractor->problems()) {
                std::cerr << "offstage: '" << platform::printable_name(problem.path)
                          << "': " << problem.what << '\n';
            }
        }
    };
    try {
        plaintext.emplace(keys, file, arguments.artifact);
        extractor.emplace(*plaintext, arguments.artifact, ::geteuid() == 0, &progress);
        extractor->extract_to(arguments.target);
    } catch (const age::AgeError& error) {
        report();
        throw CommandFailure(integrity_error, std::string(error.what()) +
                                                  "; anything already extracted under " + target +
                                                  " is unverified: discard it");
    } catch (const archive::UnsafeEntryError& error) {
        report();
        throw CommandFailure(integrity_error, std::string(error.what()) +
                                                  "; extraction stopped, anything "
                                                  "already extracted under " +
                                                  target + " is untrusted");
    } catch (const archive::UnsafeTargetError& error) {
        report();
        throw CommandFailure(usage_error, std::string("extract: ") + error.what());
    } catch (const std::exception& error) {
        // A full disk, an I/O error, a damaged stream: what is there is not the whole archive.
        report();
        throw CommandFailure(failure, std::string(error.what()) +
                                          "; extraction stopped: what is under " + target +
                                          " is incomplete");
    }
    report();
    if (!extractor->problems().empty()) {
        throw CommandFailure(partial, "extract: " + std::to_string(extractor->problems().size()) +
                                          " entr(ies) reported above");
    }
}

} // namespace

void add_archive_commands(CLI::App& app, const GlobalOptions& global) {
    auto archive_arguments = std::make_shared<ArchiveArguments>();
    CLI::App* archive_command =
        app.add_subcommand("archive", "write an encrypted archive (tar -> zstd -> age) of paths");
    archive_command->add_option("-r,--recipient", archive_arguments->recipients,
                                "age recipient (age1...); repeatable");
    archive_command->add_option("-R,--recipients-file", archive_arguments->recipient_files,
                                "file of recipients, one per line; repeatable");
    archive_command
        ->add_option("--compression", archive_arguments->compression,
                     "zstd or none (default: [archive] compression, else zstd)")
        ->check(CLI::IsMember({"zstd", "none"}));
    archive_command
        ->add_option("--level", archive_arguments->level,
                     "zstd level (default: [archive] level, else 3)")
        ->check(CLI::Range(1, 19));
    archive_command
        ->add_option("--threads", archive_arguments->threads,
                     "zstd worker threads, 0 = one per usable CPU, at most 4 per usable CPU and "
                     "64 (default: [archive] threads, else 0)")
        ->check(CLI::Range(0, platform::thread_limit()));
    archive_command->add_option("--from0", archive_arguments->list,
                                "NUL-separated list of paths to archive, - for standard input");
    archive_command
        ->add_option("-o,--output", archive_arguments->output,
                     "the artifact to write, - for standard output")
        ->required();
    archive_command->add_option("paths", archive_arguments->paths, "paths to archive");
    archive_command->callback(
        [&global, archive_arguments] { run_archive(global, *archive_arguments); });

    auto extract_arguments = std::make_shared<ExtractArguments>();
    CLI::App* extract_command =
        app.add_subcommand("extract", "decrypt and extract an archive written by offstage archive");
    extract_command
        ->add_option("-i,--identity", extract_arguments->identity_files,
                     "identity file (age-keygen format); repeatable")
        ->required();
    extract_command->add_option("--to", extract_arguments->target, "directory to extract into")
        ->required();
    extract_command->add_option("artifact", extract_arguments->artifact, "the .tar.zst.age file")
        ->required();
    extract_command->callback(
        [&global, extract_arguments] { run_extract(global, *extract_arguments); });
}

} // namespace offstage::cli
