#include "platform/worker_threads.hpp"

#include <pthread.h>
#include <string>

namespace offstage::platform {

void WorkerThreads::start(std::size_t count, const char* name,
                          const std::function<void(std::size_t)>& body, std::mutex& mutex,
                          bool& stopping, std::condition_variable& wake) {
    mutex_ = &mutex;
    stopping_ = &stopping;
    wake_ = &wake;
    try {
        for (std::size_t i = 0; i < count; ++i) {
            // Named by itself before its loop, so that no figure sees it unnamed.
            threads_.emplace_back([body, i, thread_name = std::string(name)] {
                ::pthread_setname_np(::pthread_self(), thread_name.c_str());
                body(i);
            });
        }
    } catch (...) {
        stop_and_join();
        throw;
    }
}

void WorkerThreads::stop_and_join() noexcept {
    if (threads_.empty()) {
        return;
    }
    {
        std::lock_guard lock(*mutex_);
        *stopping_ = true;
    }
    wake_->notify_all();
    for (std::thread& thread : threads_) {
        thread.join();
    }
    threads_.clear();
}

} // namespace offstage::platform
