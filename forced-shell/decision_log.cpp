#include "forced-shell/decision_log.hpp"

#include "forced-shell/refusal.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <syslog.h>
#include <unistd.h>

namespace offstage::forced_shell {

namespace {

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    std::tm parts{};
    ::gmtime_r(&now, &parts);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return buffer;
}

int priority_of(std::string_view event) {
    if (event == "refused") {
        return LOG_NOTICE;
    }
    if (event == "error") {
        return LOG_ERR;
    }
    return LOG_INFO;
}

void to_syslog(int priority, const std::string& line) {
    ::openlog("offstage-shell", LOG_PID, LOG_AUTH);
    ::syslog(priority, "%s", line.c_str());
    ::closelog();
}

} // namespace

DecisionLog::DecisionLog(std::filesystem::path file, bool use_syslog)
    : file_(std::move(file))
    , syslog_(use_syslog) {}

std::string DecisionLog::client_from(const char* ssh_connection) {
    if (ssh_connection == nullptr) {
        return "-";
    }
    std::string_view value(ssh_connection);
    std::string_view address = value.substr(0, value.find(' '));
    if (address.empty() || address.size() > 64) {
        return "-";
    }
    for (char c : address) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != '.' && c != ':' && c != '%') {
            return escape_excerpt(address, 64);
        }
    }
    return std::string(address);
}

std::string DecisionLog::format(const Decision& decision) {
    std::string line(decision.event);
    line += " client=" + decision.client;
    if (decision.status) {
        line += " status=" + std::to_string(*decision.status);
    }
    if (!decision.reason.empty()) {
        line += " reason=\"" + escape_excerpt(decision.reason, 256) + "\"";
    }
    line += " command=\"" + escape_excerpt(decision.command, command_limit) + "\"";
    return line;
}

void DecisionLog::record(const Decision& decision) {
    std::string line = format(decision);
    if (syslog_) {
        to_syslog(priority_of(decision.event), line);
    }
    if (file_.empty()) {
        return;
    }
    std::string file_line =
        utc_now() + " offstage-shell[" + std::to_string(::getpid()) + "]: " + line + "\n";
    // O_NOFOLLOW: the log's directory belongs to root, but a planted symlink must not turn
    // the log into a write to some other file. One write() per line keeps lines whole under
    // O_APPEND when several logins log at once.
    int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    int error = 0;
    if (fd < 0) {
        error = errno;
    } else {
        ssize_t written = ::write(fd, file_line.data(), file_line.size());
        if (written < 0) {
            error = errno;
        } else if (static_cast<std::size_t>(written) != file_line.size()) {
            error = EIO;
        }
        ::close(fd);
    }
    if (error != 0) {
        std::string warning = "offstage-shell: cannot write log " + file_.string() + ": " +
                              std::strerror(error) + "\n";
        [[maybe_unused]] ssize_t ignored = ::write(2, warning.data(), warning.size());
        to_syslog(LOG_ERR, "cannot write log " + file_.string() + ": " + std::strerror(error) +
                               "; lost line: " + line);
    }
}

} // namespace offstage::forced_shell
