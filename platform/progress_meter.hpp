// A one-line progress display on stderr for long work: bytes, rate and files, redrawn at most a
// few times a second. It draws only when enabled and stderr is a terminal, so cron jobs, the
// forced shell and pipes stay silent; the line is cleared by finish() or on destruction.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace offstage::platform {

class ProgressMeter {
public:
    // `label` starts the line ("archive"); `enabled` false (e.g. --quiet) silences it.
    ProgressMeter(std::string label, bool enabled);
    ProgressMeter(const ProgressMeter&) = delete;
    ProgressMeter& operator=(const ProgressMeter&) = delete;
    ~ProgressMeter();

    bool active() const { return active_; }
    // Cheap when nothing is to be drawn: a counter update and a clock read every few calls.
    void add_bytes(std::uint64_t bytes);
    void add_file();
    // Clears the line (the caller prints its summary itself).
    void finish();

    // "1.5 GiB", "12.0 MiB", "512 B": shared with summaries printed by the commands.
    static std::string format_bytes(double bytes);

private:
    void maybe_draw();
    void draw();

    std::string label_;
    bool active_;
    std::uint64_t bytes_ = 0;
    std::uint64_t files_ = 0;
    unsigned calls_ = 0;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};

} // namespace offstage::platform
