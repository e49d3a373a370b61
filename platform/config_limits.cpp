#include "platform/config_limits.hpp"

#include <algorithm>
#include <cerrno>
#include <sched.h>
#include <thread>

namespace offstage::platform {

int usable_cpus() {
    // The affinity mask, not the machine's count: a container or `taskset` may allow far fewer
    // CPUs than the host has, and threads beyond them only wait. CPU_ALLOC for hosts with more
    // CPUs than a static cpu_set_t holds.
    for (int size = 1024; size <= 1024 * 64; size *= 2) {
        cpu_set_t* set = CPU_ALLOC(size);
        if (set == nullptr) {
            break;
        }
        std::size_t bytes = CPU_ALLOC_SIZE(size);
        int count = 0;
        bool done = false;
        if (::sched_getaffinity(0, bytes, set) == 0) {
            count = CPU_COUNT_S(bytes, set);
            done = true;
        } else if (errno != EINVAL) {
            done = true; // no answer to be had: fall back below
        }
        CPU_FREE(set);
        if (count > 0) {
            return count;
        }
        if (done) {
            break;
        }
    }
    unsigned cores = std::thread::hardware_concurrency();
    return cores == 0 ? 1 : static_cast<int>(std::min(cores, 1u << 16));
}

int thread_limit() {
    return std::min(max_threads, threads_per_cpu * usable_cpus());
}

} // namespace offstage::platform
