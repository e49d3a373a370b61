// `offstage key generate [-o FILE]` and `offstage key recipient [FILE]`: age identities in
// age-keygen's format ("# created:", "# public key:", then AGE-SECRET-KEY-1...), so a key made
// here works with `age -d -i` and one made by age-keygen works here. `offstage key signing`:
// the host's signing key for SHA256SUMS (docs/staging-tree.md). See docs/offstage-key.8.
#include "platform/fd_stream.hpp"
#include "platform/staging_layout.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/identity.hpp"
#include "stager/cli/commands.hpp"
#include "stager/cli/exit_status.hpp"
#include "stager/staging/minisign.hpp"

#include <cerrno>
#include <chrono>
#include <ctime>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <openssl/crypto.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::cli {
namespace {

struct KeyArguments {
    std::string output;   // generate: the identity file ("" = standard output)
    std::string identity; // recipient: the identity file ("" or "-" = standard input)
    std::string signing_key{platform::staging_layout::default_signing_key};
    bool create_signing_key = false;
};

std::string utc_timestamp() {
    std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

// The identity file's text, wiped when it goes out of scope.
class SecretText {
public:
    explicit SecretText(std::string text)
        : text_(std::move(text)) {}
    ~SecretText() { OPENSSL_cleanse(text_.data(), text_.size()); }
    SecretText(const SecretText&) = delete;
    SecretText& operator=(const SecretText&) = delete;
    std::span<const std::byte> bytes() const { return std::as_bytes(std::span(text_)); }

private:
    std::string text_;
};

void run_generate(const KeyArguments& arguments) {
    age::X25519Identity identity = age::X25519Identity::generate();
    std::string recipient = identity.recipient().to_string();
    SecretText text("# created: " + utc_timestamp() + "\n# public key: " + recipient + "\n" +
                    identity.to_string() + "\n");
    if (arguments.output.empty() || arguments.output == "-") {
        platform::FdSink(STDOUT_FILENO, "standard output").write(text.bytes());
        // On stderr, as age-keygen does, so that stdout is exactly the identity file.
        std::cerr << "Public key: " << recipient << '\n';
        return;
    }
    // O_EXCL: never overwrite a key (it may be the only copy of what decrypts the backups).
    platform::UniqueFd fd(::open(arguments.output.c_str(),
                                 O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) {
        if (errno == EEXIST) {
            throw CommandFailure(failure, "key generate: " + arguments.output +
                                              " already exists; refusing to overwrite a key");
        }
        platform::throw_errno("create " + arguments.output);
    }
    if (::fchmod(fd.get(), 0600) != 0) { // whatever the umask did
        platform::throw_errno("chmod 0600 " + arguments.output);
    }
    try {
        platform::FdSink(fd.get(), arguments.output).write(text.bytes());
        if (::fsync(fd.get()) != 0) {
            platform::throw_errno("fsync " + arguments.output);
        }
    } catch (...) {
        ::unlink(arguments.output.c_str()); // a truncated key file is worse than none
        throw;
    }
    std::cout << recipient << '\n';
}

void run_recipient(const KeyArguments& arguments) {
    std::string path = arguments.identity;
    if (path.empty() || path == "-") {
        path = "/dev/stdin";
    }
    std::vector<age::X25519Identity> identities;
    try {
        identities = age::load_identities_file(path);
    } catch (const age::AgeError& error) {
        throw CommandFailure(usage_error, std::string("key recipient: ") + error.what());
    }
    for (const auto& identity : identities) {
        std::cout << identity.recipient().to_string() << '\n';
    }
}

// Prints the signing key's public half in minisign's format, creating the key first when asked
// and missing. The restorer keeps that output off the host (docs/staging-tree.md).
void run_signing(const KeyArguments& arguments) {
    struct stat info {};
    bool exists = ::lstat(arguments.signing_key.c_str(), &info) == 0;
    if (!exists && errno != ENOENT) {
        platform::throw_errno("signing key " + arguments.signing_key);
    }
    try {
        if (!exists && !arguments.create_signing_key) {
            throw CommandFailure(failure, "key signing: " + arguments.signing_key +
                                              " does not exist (--create makes it; the first "
                                              "`offstage run` does too)");
        }
        staging::SigningKey key = exists ? staging::SigningKey::load(arguments.signing_key)
                                         : staging::SigningKey::create(arguments.signing_key);
        std::cout << key.public_key().to_file_text();
    } catch (const staging::SignatureError& error) {
        throw CommandFailure(failure, std::string("key signing: ") + error.what());
    }
}

} // namespace

void add_key_command(CLI::App& app, const GlobalOptions&) {
    auto arguments = std::make_shared<KeyArguments>();
    CLI::App* key = app.add_subcommand("key", "make age identities and show their recipients");
    key->require_subcommand(1);

    CLI::App* generate = key->add_subcommand(
        "generate", "write a new identity (age-keygen format) and print its recipient");
    generate->add_option("-o,--output", arguments->output,
                         "identity file to create (mode 0600, never overwritten); "
                         "default: standard output");
    generate->callback([arguments] { run_generate(*arguments); });

    CLI::App* recipient = key->add_subcommand(
        "recipient", "print the recipient (public key) of each identity in a file");
    recipient->add_option("file", arguments->identity, "identity file (default: standard input)");
    recipient->callback([arguments] { run_recipient(*arguments); });

    CLI::App* signing = key->add_subcommand(
        "signing", "print the public key that verifies SHA256SUMS.minisig (minisign format)");
    signing->add_option("--key", arguments->signing_key, "the signing key file")
        ->capture_default_str();
    signing->add_flag("--create", arguments->create_signing_key,
                      "create the key (0600, never overwritten) when it does not exist");
    signing->callback([arguments] { run_signing(*arguments); });
}

} // namespace offstage::cli
