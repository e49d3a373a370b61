#include "stager/status/text_format.hpp"

#include <cstdio>
#include <ctime>
#include <iterator>

namespace offstage::status {

std::string rfc3339(std::chrono::system_clock::time_point when) {
    std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(when));
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return text;
}

std::string human_duration(double seconds) {
    char text[64];
    if (seconds < 0) {
        seconds = 0;
    }
    if (seconds < 10) {
        std::snprintf(text, sizeof text, "%.1f s", seconds);
        return text;
    }
    auto whole = static_cast<long long>(seconds);
    if (whole < 60) {
        std::snprintf(text, sizeof text, "%lld s", whole);
    } else if (whole < 3600) {
        std::snprintf(text, sizeof text, "%lld min %lld s", whole / 60, whole % 60);
    } else if (whole < 86400) {
        std::snprintf(text, sizeof text, "%lld h %lld min", whole / 3600, whole % 3600 / 60);
    } else {
        std::snprintf(text, sizeof text, "%lld d %lld h", whole / 86400, whole % 86400 / 3600);
    }
    return text;
}

std::string human_bytes(std::uint64_t bytes) {
    static constexpr const char* units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    char text[64];
    if (bytes < 1024) {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
        return text;
    }
    double value = static_cast<double>(bytes) / 1024;
    std::size_t unit = 0;
    while (value >= 1024 && unit + 1 < std::size(units)) {
        value /= 1024;
        ++unit;
    }
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

} // namespace offstage::status
