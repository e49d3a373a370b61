// A fixed set of named worker threads, each running its owner's loop until told to stop; joined
// exactly once. The owner keeps its queue, its mutex, its "stopping" flag and the condition its
// loops wait on; stopping sets the flag under the mutex and wakes every loop. The age sealer and
// the tar read-ahead start and stop their pools with it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace offstage::platform {

class WorkerThreads {
public:
    WorkerThreads() = default;
    WorkerThreads(const WorkerThreads&) = delete;
    WorkerThreads& operator=(const WorkerThreads&) = delete;
    ~WorkerThreads() { stop_and_join(); }

    // Starts `count` threads named `name` (at most 15 bytes: per-thread CPU figures say what each
    // thread does), thread i running body(i), a loop that waits on `wake` under `mutex` and
    // returns once `stopping` is set. When one cannot start, those started are stopped and
    // joined, and the error is rethrown.
    void start(std::size_t count, const char* name, const std::function<void(std::size_t)>& body,
               std::mutex& mutex, bool& stopping, std::condition_variable& wake);

    // Sets `stopping` under `mutex`, wakes every loop and joins them; does nothing the second
    // time.
    void stop_and_join() noexcept;

private:
    std::vector<std::thread> threads_;
    std::mutex* mutex_ = nullptr;
    bool* stopping_ = nullptr;
    std::condition_variable* wake_ = nullptr;
};

} // namespace offstage::platform
