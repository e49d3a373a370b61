#include "platform/progress_meter.hpp"

#include <cstdio>
#include <unistd.h>

namespace offstage::platform {

namespace {
constexpr auto redraw_interval = std::chrono::milliseconds(250);
}

ProgressMeter::ProgressMeter(std::string label, bool enabled)
    : label_(std::move(label))
    , active_(enabled && ::isatty(STDERR_FILENO) == 1)
    , start_(std::chrono::steady_clock::now())
    , last_draw_(start_) {}

ProgressMeter::~ProgressMeter() {
    finish();
}

void ProgressMeter::add_bytes(std::uint64_t bytes) {
    bytes_ += bytes;
    maybe_draw();
}

void ProgressMeter::add_file() {
    ++files_;
    maybe_draw();
}

void ProgressMeter::maybe_draw() {
    // Reading the clock on every 1 MiB block is cheap, but not on every tiny file of a big tree.
    if (!active_ || (++calls_ % 16) != 0) {
        return;
    }
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ >= redraw_interval) {
        last_draw_ = now;
        draw();
    }
}

void ProgressMeter::draw() {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    double rate = seconds > 0 ? static_cast<double>(bytes_) / seconds : 0.0;
    std::fprintf(stderr, "\r\033[K%s: %s, %s/s, %llu files", label_.c_str(),
                 format_bytes(static_cast<double>(bytes_)).c_str(), format_bytes(rate).c_str(),
                 static_cast<unsigned long long>(files_));
    std::fflush(stderr);
}

void ProgressMeter::finish() {
    if (active_) {
        std::fputs("\r\033[K", stderr);
        std::fflush(stderr);
        active_ = false;
    }
}

std::string ProgressMeter::format_bytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    unsigned unit = 0;
    while (bytes >= 1024.0 && unit + 1 < sizeof units / sizeof units[0]) {
        bytes /= 1024.0;
        ++unit;
    }
    char text[32];
    if (unit == 0) {
        std::snprintf(text, sizeof text, "%.0f %s", bytes, units[unit]);
    } else {
        std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
    }
    return text;
}

} // namespace offstage::platform
