#include "forced-shell/invocation.hpp"

#include "forced-shell/refusal.hpp"

#include <string_view>

namespace offstage::forced_shell {

namespace {

// Parses "--name VALUE" or "--name=VALUE" at argv[i]; advances i past the value.
std::optional<std::string> option_value(std::span<const char* const> argv, std::size_t& i,
                                        std::string_view name) {
    std::string_view word(argv[i]);
    if (word == name) {
        if (i + 1 >= argv.size()) {
            throw UsageError(std::string(name) + " needs a value");
        }
        return std::string(argv[++i]);
    }
    if (word.size() > name.size() && word.substr(0, name.size()) == name &&
        word[name.size()] == '=') {
        return std::string(word.substr(name.size() + 1));
    }
    return std::nullopt;
}

} // namespace

Invocation Invocation::parse(std::span<const char* const> argv, const char* ssh_original_command) {
    if (argv.empty() || argv[0] == nullptr) {
        throw Refusal("started without a program name");
    }
    if (argv[0][0] == '-') {
        // login(1) and sshd start an interactive login shell as "-NAME".
        throw Refusal("interactive login refused: this account only serves backup and rsync");
    }
    Invocation invocation;
    if (argv.size() >= 2 && std::string_view(argv[1]) == "-c") {
        if (argv.size() != 3) {
            throw Refusal("login-shell mode takes exactly: -c COMMAND");
        }
        invocation.mode = Mode::login_shell;
        invocation.command = argv[2];
        return invocation;
    }
    std::size_t i = 1;
    if (argv.size() >= 2 && std::string_view(argv[1]) == "--check") {
        invocation.mode = Mode::check;
        i = 2;
    }
    for (; i < argv.size(); ++i) {
        if (auto config = option_value(argv, i, "--config")) {
            if (config->empty()) {
                throw UsageError("--config needs a file");
            }
            invocation.config = *config;
        } else if (auto keys = option_value(argv, i, "--authorized-keys");
                   keys && invocation.mode == Mode::check) {
            invocation.authorized_keys = *keys;
        } else {
            throw UsageError("unknown argument " + escape_excerpt(argv[i], 40) +
                             " (usage: offstage-shell [--config FILE] | -c COMMAND | --check "
                             "[--config FILE] [--authorized-keys FILE])");
        }
    }
    if (invocation.mode == Mode::forced_command) {
        if (ssh_original_command == nullptr) {
            throw Refusal("no command given (interactive login refused): run "
                          "'backup' or rsync");
        }
        invocation.command = ssh_original_command;
    }
    return invocation;
}

} // namespace offstage::forced_shell
