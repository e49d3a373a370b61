#include "stager/run/run_log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

namespace offstage::run {

class RunLog::LineBuffer : public std::streambuf {
public:
    explicit LineBuffer(const RunLogSettings& settings)
        : settings_(settings) {
        if (!settings_.file.empty()) {
            // Its directory (/var/log/offstage) may not exist yet on a host set up by hand.
            ::mkdir(settings_.file.parent_path().c_str(), 0750);
            fd_ = ::open(settings_.file.c_str(),
                         O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
            if (fd_ < 0 && settings_.terminal != nullptr) {
                *settings_.terminal << "offstage: run: cannot open the log file "
                                    << settings_.file.string() << ": " << std::strerror(errno)
                                    << '\n';
            }
        }
        if (settings_.syslog) {
            ::openlog("offstage", LOG_PID, LOG_DAEMON);
        }
    }
    ~LineBuffer() override {
        if (!line_.empty()) {
            emit();
        }
        if (fd_ >= 0) {
            ::close(fd_);
        }
        if (settings_.syslog) {
            ::closelog();
        }
    }

protected:
    int_type overflow(int_type c) override {
        if (c == traits_type::eof()) {
            return traits_type::not_eof(c);
        }
        if (c == '\n') {
            emit();
        } else {
            line_.push_back(static_cast<char>(c));
        }
        return c;
    }

private:
    void emit() {
        if (settings_.terminal != nullptr) {
            *settings_.terminal << line_ << '\n';
        }
        if (fd_ >= 0) {
            std::time_t now = std::time(nullptr);
            std::tm utc{};
            ::gmtime_r(&now, &utc);
            char stamp[32];
            std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &utc);
            std::string text = stamp + line_ + "\n";
            [[maybe_unused]] ssize_t written = ::write(fd_, text.data(), text.size());
        }
        if (settings_.syslog) {
            ::syslog(LOG_INFO, "%s", line_.c_str());
        }
        line_.clear();
    }

    RunLogSettings settings_;
    int fd_ = -1;
    std::string line_;
};

RunLog::RunLog(const RunLogSettings& settings)
    : std::ostream(nullptr)
    , buffer_(std::make_unique<LineBuffer>(settings)) {
    rdbuf(buffer_.get());
}

RunLog::~RunLog() {
    rdbuf(nullptr);
}

} // namespace offstage::run
