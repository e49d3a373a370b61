// How the page and the metrics write times, durations and sizes.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace offstage::status {

// "2026-11-22T03:00:01Z"
std::string rfc3339(std::chrono::system_clock::time_point when);
// "42 s", "3 min 50 s", "5 h 2 min", "3 d 4 h": two units are enough at a glance.
std::string human_duration(double seconds);
// "812 B", "1.4 GiB"
std::string human_bytes(std::uint64_t bytes);

} // namespace offstage::status
