// The thread bound follows the CPUs this process may use, not the machine's count: narrowed to
// one CPU it must be 4, whatever the host has.
#include "platform/config_limits.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <sched.h>
#include <string>

namespace offstage::platform {
namespace {

TEST(ConfigLimits, UsableCpusIsTheAffinityMask) {
    cpu_set_t set;
    CPU_ZERO(&set);
    ASSERT_EQ(::sched_getaffinity(0, sizeof set, &set), 0);
    EXPECT_EQ(usable_cpus(), CPU_COUNT(&set));
    EXPECT_EQ(thread_limit(), std::min(max_threads, threads_per_cpu * CPU_COUNT(&set)));

    // Narrowed to one CPU, in this thread (the mask is per thread; restored below).
    cpu_set_t one;
    CPU_ZERO(&one);
    for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
        if (CPU_ISSET(cpu, &set)) {
            CPU_SET(cpu, &one);
            break;
        }
    }
    ASSERT_EQ(::sched_setaffinity(0, sizeof one, &one), 0);
    int narrowed_cpus = usable_cpus();
    int narrowed_limit = thread_limit();
    ASSERT_EQ(::sched_setaffinity(0, sizeof set, &set), 0);
    EXPECT_EQ(narrowed_cpus, 1);
    EXPECT_EQ(narrowed_limit, threads_per_cpu);
}

} // namespace
} // namespace offstage::platform
