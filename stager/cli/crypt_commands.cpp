// `offstage encrypt` and `offstage decrypt`: the age format as plain filters (standard input to
// standard output by default), interoperable with the stock age tool. See
// docs/offstage-encrypt.8 and docs/encryption.md.
//
// Decrypting to -o FILE writes a temporary file beside FILE and renames it only after the final
// chunk authenticated: a truncated or tampered input leaves no output file at all. Decrypting
// to standard output streams authenticated chunks as they verify; if a later chunk fails, the
// error says that what was written is incomplete. A character device or a FIFO named by -o is
// written in place as such a stream; other kinds of file are refused (archive/output_path.hpp).
#include "platform/config_file.hpp"
#include "platform/fd_stream.hpp"
#include "platform/progress_meter.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/age/identity.hpp"
#include "stager/age/recipient.hpp"
#include "stager/archive/output_path.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/config/stager_config.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <memory>
#include <openssl/crypto.h>
#include <optional>
#include <string>
#include <termios.h>
#include <unistd.h>
#include <vector>

namespace offstage::cli {
namespace {

constexpr const char* passphrase_variable = "OFFSTAGE_PASSPHRASE";
constexpr std::size_t copy_block = 1024 * 1024;

struct CryptArguments {
    std::vector<std::string> recipients;
    std::vector<std::string> recipient_files;
    std::vector<std::string> identity_files;
    bool passphrase = false;
    int passphrase_fd = -1;
    int work_factor = 18;
    int max_work_factor = 20;
    bool armor = false;
    std::string output = "-"; // -o "" is an error, not standard output
    std::string input;
};

// A string holding a passphrase: wiped when it dies.
struct Passphrase {
    std::string text;
    Passphrase() = default;
    Passphrase(const Passphrase&) = delete;
    Passphrase& operator=(const Passphrase&) = delete;
    ~Passphrase() { OPENSSL_cleanse(text.data(), text.size()); }
};

void strip_newline(std::string& text) {
    if (!text.empty() && text.back() == '\n') {
        text.pop_back();
    }
    if (!text.empty() && text.back() == '\r') {
        text.pop_back();
    }
}

// One line from `fd`, read byte by byte so nothing after it is consumed.
void read_line(int fd, const std::string& name, std::string& line) {
    line.clear();
    char c;
    while (true) {
        ssize_t n = ::read(fd, &c, 1);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            platform::throw_errno("read the passphrase from " + name);
        }
        if (n == 0 || c == '\n') {
            return;
        }
        line.push_back(c);
    }
}

// Prompts on /dev/tty with echo off.
void prompt_terminal(const std::string& prompt, std::string& answer) {
    platform::UniqueFd tty(::open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY));
    if (!tty) {
        throw CommandFailure(usage_error, std::string("no terminal to ask for the passphrase; use "
                                                      "--passphrase-fd N or set ") +
                                              passphrase_variable);
    }
    termios saved{};
    bool restore = ::tcgetattr(tty.get(), &saved) == 0;
    if (restore) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ECHONL;
        ::tcsetattr(tty.get(), TCSAFLUSH, &quiet);
    }
    platform::FdSink(tty.get(), "/dev/tty").write(std::as_bytes(std::span(prompt)));
    try {
        read_line(tty.get(), "/dev/tty", answer);
    } catch (...) {
        if (restore) {
            ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
        }
        throw;
    }
    if (restore) {
        ::tcsetattr(tty.get(), TCSAFLUSH, &saved);
    }
    strip_newline(answer);
}

// From --passphrase-fd, else $OFFSTAGE_PASSPHRASE, else the terminal (twice when encrypting).
void get_passphrase(const CryptArguments& arguments, bool confirm, Passphrase& passphrase) {
    if (arguments.passphrase_fd >= 0) {
        read_line(arguments.passphrase_fd, "fd " + std::to_string(arguments.passphrase_fd),
                  passphrase.text);
        strip_newline(passphrase.text);
    } else if (const char* value = std::getenv(passphrase_variable)) {
        passphrase.text = value;
    } else {
        prompt_terminal("Passphrase: ", passphrase.text);
        if (confirm) {
            Passphrase again;
            prompt_terminal("Confirm passphrase: ", again.text);
            if (again.text != passphrase.text) {
                throw CommandFailure(usage_error, "the passphrases do not match");
            }
        }
    }
    if (passphrase.text.empty()) {
        throw CommandFailure(usage_error, "the passphrase is empty");
    }
}

// -r and -R; when neither is given (and no -p), [encryption] of the configuration.
std::vector<age::X25519Recipient> recipients(const config::StagerConfig& config,
                                             const CryptArguments& arguments) {
    std::vector<age::X25519Recipient> result;
    try {
        result = config.recipients_or(arguments.recipients, arguments.recipient_files);
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, std::string("encrypt: ") + error.what());
    }
    if (result.empty()) {
        throw CommandFailure(usage_error, "encrypt: no recipient: give -r RECIPIENT, -R FILE "
                                          "or -p, or set [encryption] recipients");
    }
    return result;
}

// The input: a file, or standard input for "" and "-".
struct Input {
    platform::UniqueFd fd;
    std::unique_ptr<platform::FdSource> source;
    std::string name;
};

void open_input(const std::string& path, Input& input) {
    if (path.empty() || path == "-") {
        input.name = "standard input";
        input.source = std::make_unique<platform::FdSource>(STDIN_FILENO, input.name);
        return;
    }
    input.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!input.fd) {
        platform::throw_errno("open " + path);
    }
    input.name = path;
    input.source = std::make_unique<platform::FdSource>(input.fd.get(), path);
}

// -o, checked before any input is read so that a wrong one fails at once: nullopt for "-"
// (standard output), else what archive::OutputPath makes of it.
std::optional<archive::OutputPath> check_output(const std::string& path,
                                                const std::string& command) {
    if (path == "-") {
        return std::nullopt;
    }
    try {
        return archive::OutputPath::check(path);
    } catch (const archive::OutputPathRefused& error) {
        throw CommandFailure(usage_error, command + ": " + error.what());
    }
}

// The output: a file renamed into place once complete, a device or FIFO, or standard output.
struct Output {
    std::unique_ptr<platform::ByteSink> file;
    std::unique_ptr<platform::FdSink> stdout_sink;
    platform::ByteSink* sink = nullptr;
};

void open_output(const std::optional<archive::OutputPath>& path, Output& output) {
    if (!path) {
        output.stdout_sink = std::make_unique<platform::FdSink>(STDOUT_FILENO, "standard output");
        output.sink = output.stdout_sink.get();
    } else {
        output.file = path->open();
        output.sink = output.file.get();
    }
}

// Copies `from` into `to` in large blocks, counting progress.
void copy(platform::ByteSource& from, platform::ByteSink& to, platform::ProgressMeter& progress) {
    std::vector<std::byte> buffer(copy_block);
    while (std::size_t got = platform::read_fully(from, buffer)) {
        to.write(std::span(buffer).first(got));
        progress.add_bytes(got);
    }
}

void run_encrypt(const GlobalOptions& global, const CryptArguments& arguments) {
    const auto output_path = check_output(arguments.output, "encrypt");
    // All of the configuration, even with -r, -R or -p: a bad file is bad whatever the command
    // line says.
    config::StagerConfig config = config::StagerConfig::load(global.config_path);
    age::EncryptOptions options;
    options.armor = arguments.armor;
    Passphrase passphrase;
    if (arguments.passphrase || arguments.passphrase_fd >= 0) {
        if (!arguments.recipients.empty() || !arguments.recipient_files.empty()) {
            throw CommandFailure(usage_error, "encrypt: -p cannot be combined with -r or -R (the "
                                              "age format allows a passphrase only alone)");
        }
        if (arguments.work_factor < 1 || arguments.work_factor > 22) {
            throw CommandFailure(usage_error, "encrypt: --work-factor must be 1..22");
        }
        get_passphrase(arguments, true, passphrase);
        options.passphrase = passphrase.text;
        options.scrypt_work_factor = arguments.work_factor;
    } else {
        options.recipients = recipients(config, arguments);
    }
    bool to_stdout = !output_path;
    if (to_stdout && !arguments.armor && ::isatty(STDOUT_FILENO) == 1) {
        throw CommandFailure(usage_error, "encrypt: refusing to write binary to a terminal; use "
                                          "-o FILE, a pipe, or -a");
    }
    Input input;
    open_input(arguments.input, input);
    Output output;
    open_output(output_path, output);
    platform::ProgressMeter progress("encrypt", !global.quiet);
    try {
        age::Encryptor encryptor(options, *output.sink);
        if (options.passphrase) { // the stanza is written: the copy is not needed any more
            OPENSSL_cleanse(options.passphrase->data(), options.passphrase->size());
        }
        copy(*input.source, encryptor, progress);
        encryptor.finish(); // for -o: fsync and rename into place
    } catch (const age::AgeError& error) {
        throw CommandFailure(failure, std::string("encrypt: ") + error.what());
    }
    progress.finish();
}

void run_decrypt(const GlobalOptions& global, const CryptArguments& arguments) {
    const auto output_path = check_output(arguments.output, "decrypt");
    age::DecryptOptions options;
    options.max_scrypt_work_factor = arguments.max_work_factor;
    if (arguments.max_work_factor < 1 || arguments.max_work_factor > 22) {
        throw CommandFailure(usage_error, "decrypt: --max-work-factor must be 1..22");
    }
    try {
        for (const auto& file : arguments.identity_files) {
            for (auto& identity : age::load_identities_file(file)) {
                options.identities.push_back(identity);
            }
        }
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, std::string("decrypt: ") + error.what());
    }
    Passphrase passphrase;
    if (arguments.passphrase || arguments.passphrase_fd >= 0) {
        get_passphrase(arguments, false, passphrase);
        options.passphrase = passphrase.text;
    }
    if (options.identities.empty() && !options.passphrase) {
        throw CommandFailure(usage_error, "decrypt: give -i IDENTITY_FILE or -p");
    }
    Input input;
    open_input(arguments.input, input);
    bool to_stdout = !output_path;
    platform::ProgressMeter progress("decrypt", !global.quiet);
    std::uint64_t written = 0;
    try {
        // The header (and the key) is checked before any output file is created.
        age::Decryptor decryptor(options, *input.source, input.name);
        if (options.passphrase) { // the file key is unwrapped: the copy is not needed any more
            OPENSSL_cleanse(options.passphrase->data(), options.passphrase->size());
        }
        Output output;
        open_output(output_path, output);
        std::vector<std::byte> buffer(copy_block);
        while (std::size_t got = platform::read_fully(decryptor, buffer)) {
            output.sink->write(std::span(buffer).first(got));
            written += got;
            progress.add_bytes(got);
        }
        output.sink->finish(); // for -o: fsync and rename, now that the final chunk verified
    } catch (const age::AgeError& error) {
        progress.finish();
        std::string consequence;
        if (!to_stdout && output_path->kind() == archive::OutputPath::Kind::file) {
            consequence = "; " + archive::quoted_path(arguments.output) + " was not written";
        } else if (written > 0) {
            consequence = "; the " + std::to_string(written) + " bytes already written to " +
                          (to_stdout ? "standard output" : archive::quoted_path(arguments.output)) +
                          " are incomplete: discard them";
        }
        ExitStatus status = error.kind() == age::AgeError::Kind::other ? failure : integrity_error;
        throw CommandFailure(status, std::string("decrypt: ") + error.what() + consequence);
    }
    progress.finish();
}

} // namespace

void add_crypt_commands(CLI::App& app, const GlobalOptions& global) {
    auto arguments = std::make_shared<CryptArguments>();

    CLI::App* encrypt = app.add_subcommand(
        "encrypt", "encrypt to age recipients (or a passphrase), as the age tool would");
    encrypt->add_option("-r,--recipient", arguments->recipients, "age1... recipient (repeatable)")
        ->allow_extra_args(false); // one value per -r: `-r KEY FILE` leaves FILE as the input
    encrypt
        ->add_option("-R,--recipients-file", arguments->recipient_files,
                     "file of recipients, one per line, # comments (repeatable)")
        ->allow_extra_args(false);
    encrypt->add_flag("-p,--passphrase", arguments->passphrase,
                      "encrypt to a passphrase (scrypt) instead of recipients");
    encrypt->add_option("--passphrase-fd", arguments->passphrase_fd,
                        "read the passphrase from this file descriptor (implies -p)");
    encrypt->add_option("--work-factor", arguments->work_factor,
                        "scrypt work factor log2(N), 1..22 (default 18, as age)");
    encrypt->add_flag("-a,--armor", arguments->armor, "ASCII armor (PEM-style) output");
    encrypt->add_option("-o,--output", arguments->output, "output file (default: stdout)");
    encrypt->add_option("input", arguments->input, "input file (default: stdin)");
    encrypt->callback([&global, arguments] { run_encrypt(global, *arguments); });

    CLI::App* decrypt = app.add_subcommand(
        "decrypt", "decrypt an age file (binary or armored) with identities or a passphrase");
    decrypt
        ->add_option("-i,--identity", arguments->identity_files,
                     "identity file, age-keygen format (repeatable)")
        ->allow_extra_args(false);
    decrypt->add_flag("-p,--passphrase", arguments->passphrase, "decrypt with a passphrase");
    decrypt->add_option("--passphrase-fd", arguments->passphrase_fd,
                        "read the passphrase from this file descriptor (implies -p)");
    decrypt->add_option("--max-work-factor", arguments->max_work_factor,
                        "largest scrypt work factor accepted, 1..22 (default 20: 1 GiB)");
    decrypt->add_option("-o,--output", arguments->output,
                        "output file, created only once the whole input authenticated "
                        "(default: stdout)");
    decrypt->add_option("input", arguments->input, "input file (default: stdin)");
    decrypt->callback([&global, arguments] { run_decrypt(global, *arguments); });
}

} // namespace offstage::cli
