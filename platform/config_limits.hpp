// The bounds on what offstage.toml may ask for, documented in offstage.toml(5). The file's size
// and nesting are checked on the raw text before toml++ sees it (config_text_bounds.hpp): toml++
// builds and frees nested tables recursively, so a header of 300000 dotted parts would overflow
// the stack. The thread bound keeps `[archive] threads` (and --threads) to what the machine can
// run: each zstd worker holds tens of megabytes.
#pragma once

#include <cstddef>

namespace offstage::platform {

// The largest offstage.toml read, in bytes. The shipped file is under 2 KiB.
inline constexpr std::size_t max_config_bytes = 1024 * 1024;

// The deepest nesting a value may sit at: the parts of its table header, the dotted parts of its
// key, and the arrays and inline tables around it, counted together. offstage's own keys sit at
// depth 2 ([section] key), an array element or a [[section]] entry's key at 3.
inline constexpr int max_config_depth = 16;

// The most compression threads ever allowed, whatever the machine.
inline constexpr int max_threads = 64;
// Threads per usable CPU allowed: more only adds memory, not speed.
inline constexpr int threads_per_cpu = 4;

// The CPUs this process may run on (sched_getaffinity), at least 1.
int usable_cpus();

// The largest thread count accepted: threads_per_cpu x usable_cpus(), at most max_threads.
int thread_limit();

} // namespace offstage::platform
