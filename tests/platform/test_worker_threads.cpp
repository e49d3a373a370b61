// platform::WorkerThreads: every thread runs its own index's loop under its name, stopping wakes
// and joins them all, and a second stop (or the destructor after one) does nothing.
#include "platform/worker_threads.hpp"

#include <array>
#include <atomic>
#include <condition_variable>
#include <gtest/gtest.h>
#include <mutex>
#include <pthread.h>
#include <string>

namespace {

using offstage::platform::WorkerThreads;

TEST(WorkerThreads, EachLoopRunsUntilStoppedUnderItsName) {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::array<std::atomic<int>, 3> runs{};
    std::array<std::string, 3> names;
    std::atomic<int> waiting{0};
    WorkerThreads workers;
    workers.start(
        3, "test-worker",
        [&](std::size_t i) {
            char name[16] = {};
            ::pthread_getname_np(::pthread_self(), name, sizeof name);
            names[i] = name;
            ++runs[i];
            std::unique_lock lock(mutex);
            ++waiting;
            wake.wait(lock, [&] { return stopping; });
        },
        mutex, stopping, wake);
    while (waiting < 3) {
        std::this_thread::yield();
    }
    workers.stop_and_join();
    EXPECT_TRUE(stopping);
    for (std::size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(runs[i], 1) << i;
        EXPECT_EQ(names[i], "test-worker") << i;
    }
    workers.stop_and_join(); // nothing left to join: returns at once
}

TEST(WorkerThreads, TheDestructorStopsLoopsNobodyStopped) {
    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    std::atomic<int> ended{0};
    {
        WorkerThreads workers;
        workers.start(
            2, "test-worker",
            [&](std::size_t) {
                std::unique_lock lock(mutex);
                wake.wait(lock, [&] { return stopping; });
                ++ended;
            },
            mutex, stopping, wake);
    }
    EXPECT_EQ(ended, 2);
}

} // namespace
