#include "stager/drill/server_process.hpp"

#include <csignal>
#include <utility>

namespace offstage::drill {

void ServerProcess::start(const std::vector<std::string>& argv,
                          platform::ChildProcess::Options options, ScratchWatchdog& watchdog,
                          int watchdog_signal, std::chrono::milliseconds watchdog_grace) {
    ended_ = false;
    runner_ = std::thread([this, argv, options = std::move(options), &watchdog, watchdog_signal,
                           watchdog_grace]() mutable {
        options.timeout = std::chrono::milliseconds(0);
        options.on_start = [&](pid_t started) {
            platform::ProcessHandle handle(started);
            watchdog.watch(handle, watchdog_signal, watchdog_grace);
            std::lock_guard lock(mutex_);
            process_ = std::move(handle);
        };
        std::string errors;
        options.error_output = &errors;
        std::string failure;
        try {
            platform::ChildProcess::output(argv, options);
        } catch (const std::exception& error) {
            failure = error.what();
        }
        if (failure.empty() && !errors.empty()) {
            failure = errors.substr(0, errors.find('\n'));
        }
        {
            std::lock_guard lock(mutex_);
            error_ = failure;
        }
        ended_ = true;
    });
}

std::string ServerProcess::error() const {
    std::lock_guard lock(mutex_);
    return error_;
}

pid_t ServerProcess::pid() const {
    std::lock_guard lock(mutex_);
    return process_.pid();
}

void ServerProcess::stop(int signal, std::chrono::milliseconds grace) {
    if (!runner_.joinable()) {
        return;
    }
    platform::ProcessHandle process;
    // A server stopped the moment it was started may not be known yet: a second at most.
    for (int wait = 0; wait < 100; ++wait) {
        {
            std::lock_guard lock(mutex_);
            if (process_ || ended_) {
                process = std::move(process_);
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // The runner returns once the server has ended.
    process.end(signal, grace);
    runner_.join();
}

} // namespace offstage::drill
