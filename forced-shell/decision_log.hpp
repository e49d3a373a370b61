// One line per decision of the forced shell, to syslog (facility auth, ident offstage-shell)
// and appended to a log file. A logging failure never blocks the command and never passes
// silently: it is reported on stderr and, when the file is what failed, to syslog.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace offstage::forced_shell {

struct Decision {
    std::string_view event;      // "allowed", "refused", "finished" or "error"
    std::string client;          // first word of SSH_CONNECTION, or "-"
    std::string_view command;    // the raw command (escaped and capped when written)
    std::string reason;          // why (refused, error) or what runs (allowed); may be empty
    std::optional<int> status{}; // the child's or the shell's exit status
};

class DecisionLog {
public:
    // The longest excerpt of the command written per line.
    static constexpr std::size_t command_limit = 512;

    // `file` empty: no file log.
    DecisionLog(std::filesystem::path file, bool use_syslog);

    void record(const Decision& decision);

    // The line as written to syslog (the file line adds time, ident and pid in front).
    static std::string format(const Decision& decision);
    // The client address from an SSH_CONNECTION value ("ADDR PORT ADDR PORT"), or "-".
    static std::string client_from(const char* ssh_connection);

private:
    std::filesystem::path file_;
    bool syslog_;
};

} // namespace offstage::forced_shell
