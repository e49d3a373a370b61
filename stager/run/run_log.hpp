// The run's log: every line to the configured file (appended, 0640), to syslog (daemon.info,
// "offstage"), and to a terminal when someone watches. Lines, not bytes: a line reaches each
// destination whole. A log file that cannot be opened is said once on the terminal stream and
// the run goes on (the log is not the backup).
#pragma once

#include <filesystem>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>

namespace offstage::run {

struct RunLogSettings {
    std::filesystem::path file; // empty: none
    bool syslog = true;
    std::ostream* terminal = nullptr; // e.g. &std::cerr; null: none
};

class RunLog : public std::ostream {
public:
    explicit RunLog(const RunLogSettings& settings);
    ~RunLog() override;
    RunLog(const RunLog&) = delete;
    RunLog& operator=(const RunLog&) = delete;

private:
    class LineBuffer;
    std::unique_ptr<LineBuffer> buffer_;
};

} // namespace offstage::run
