#include "stager/config/stager_config.hpp"

#include "platform/config_limits.hpp"
#include "platform/printable_name.hpp"
#include "stager/age/age_error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <sys/stat.h>

namespace offstage::config {
namespace {

using platform::ConfigError;

// [encryption] recipients, each parsed as age parses it; a bad one names its place.
void add_listed_recipients(const platform::ConfigTable& encryption,
                           std::vector<age::X25519Recipient>& recipients) {
    std::vector<std::string> listed =
        encryption.strings("recipients").value_or(std::vector<std::string>{});
    for (std::size_t i = 0; i < listed.size(); ++i) {
        const std::string& text = listed[i];
        const std::string place =
            encryption.where("recipients", i) + ": " + encryption.name("recipients");
        if (text.starts_with("AGE-SECRET-KEY-")) {
            // Never echoed: it is the one secret this host must not hold.
            throw ConfigError(place + " holds a secret key (AGE-SECRET-KEY-...), not a "
                                      "recipient: remove it from this file and give its "
                                      "public key (offstage key recipient)");
        }
        try {
            recipients.push_back(age::X25519Recipient::parse(text));
        } catch (const age::AgeError& error) {
            throw ConfigError(place + ": " + platform::printable_message(error.what()));
        }
    }
}

// [encryption] recipients_file: an absolute path (the key table sees to that) to a regular file
// of recipients. A bad line is "RECIPIENTS_FILE:LINE: ...", with the key's place after it.
void add_file_recipients(const platform::ConfigTable& encryption,
                         std::vector<age::X25519Recipient>& recipients) {
    std::optional<std::filesystem::path> file = encryption.path("recipients_file");
    if (!file || file->empty()) {
        return;
    }
    const std::string place =
        encryption.where("recipients_file") + ": " + encryption.name("recipients_file");
    const std::string shown = platform::printable_name(file->string(), 4096);
    struct stat info {};
    if (::stat(file->c_str(), &info) != 0) {
        throw ConfigError(place + ": " + shown + ": " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        throw ConfigError(place + ": " + shown + " is not a regular file");
    }
    try {
        for (const age::X25519Recipient& recipient : age::load_recipients_file(*file)) {
            recipients.push_back(recipient);
        }
    } catch (const age::AgeError& error) {
        throw ConfigError(platform::printable_message(error.what()) + " (the file of " +
                          encryption.name("recipients_file") + ", " +
                          encryption.where("recipients_file") + ")");
    }
}

} // namespace

StagerConfig::StagerConfig(platform::ConfigFile file)
    : file_(std::move(file)) {
    platform::ConfigTable encryption = file_.section("encryption");
    add_listed_recipients(encryption, recipients_);
    add_file_recipients(encryption, recipients_);
}

StagerConfig StagerConfig::load(const std::filesystem::path& path) {
    struct stat info {};
    // lstat: a dangling symlink at the default path is a broken deployment, not "no file".
    if (path == platform::ConfigFile::default_path && ::lstat(path.c_str(), &info) != 0 &&
        errno == ENOENT) {
        return StagerConfig(platform::ConfigFile::parse("", path.string()));
    }
    return StagerConfig(platform::ConfigFile::load(path));
}

std::vector<age::X25519Recipient>
StagerConfig::recipients_or(const std::vector<std::string>& given,
                            const std::vector<std::string>& given_files) const {
    if (given.empty() && given_files.empty()) {
        return recipients_;
    }
    std::vector<age::X25519Recipient> result;
    for (const std::string& text : given) {
        result.push_back(age::X25519Recipient::parse(text));
    }
    for (const std::string& file : given_files) {
        for (const age::X25519Recipient& recipient : age::load_recipients_file(file)) {
            result.push_back(recipient);
        }
    }
    return result;
}

archive::CompressionSettings
StagerConfig::compression(const CompressionChoice& command_line) const {
    platform::ConfigTable section = file_.section("archive");
    archive::CompressionSettings settings;
    settings.zstd =
        command_line.zstd.value_or(section.string("compression").value_or("zstd") == "zstd");
    if (auto level = section.integer("level")) {
        settings.level = static_cast<int>(*level);
    }
    if (auto threads = section.integer("threads")) {
        settings.threads = static_cast<int>(*threads);
    }
    settings.level = command_line.level.value_or(settings.level);
    settings.threads = command_line.threads.value_or(settings.threads);
    if (settings.threads < 0 || settings.threads > platform::thread_limit()) {
        throw std::invalid_argument("compression threads must be 0.." +
                                    std::to_string(platform::thread_limit()));
    }
    if (settings.threads == 0) {
        settings.threads = std::min(platform::usable_cpus(), platform::thread_limit());
    }
    // Reading and sealing: 0 (one per usable CPU) is resolved when the archive starts.
    settings.read_threads = static_cast<int>(section.integer("read_threads").value_or(0));
    settings.seal_threads = static_cast<int>(section.integer("seal_threads").value_or(0));
    return settings;
}

} // namespace offstage::config
