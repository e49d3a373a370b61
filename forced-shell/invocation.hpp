// How offstage-shell was started, decided from argv and SSH_ORIGINAL_COMMAND alone:
// forced command (`offstage-shell [--config F]`, the command from SSH_ORIGINAL_COMMAND), login
// shell (argv exactly `NAME -c CMD`; SSH_ORIGINAL_COMMAND ignored, since a client may be able
// to set it), or `--check`. An interactive login (`-NAME`, or no command) is a Refusal.
#pragma once

#include "platform/staging_layout.hpp"

#include <filesystem>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>

namespace offstage::forced_shell {

// offstage-shell's own command line (written by the admin) is wrong.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Invocation {
    enum class Mode { forced_command, login_shell, check };

    Mode mode = Mode::forced_command;
    std::filesystem::path config{platform::staging_layout::default_config_path};
    std::string command;                                  // forced_command and login_shell
    std::optional<std::filesystem::path> authorized_keys; // check only

    // `ssh_original_command` is the environment variable, or nullptr when unset. Throws
    // Refusal for an interactive login or a missing command, UsageError for unknown options.
    static Invocation parse(std::span<const char* const> argv, const char* ssh_original_command);
};

} // namespace offstage::forced_shell
