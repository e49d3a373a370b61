#include "stager/archive/pipelined_sink.hpp"

#include <algorithm>
#include <stdexcept>

namespace offstage::archive {

PipelinedSink::PipelinedSink(platform::ByteSink& out, std::size_t batch_size,
                             std::size_t queue_depth)
    : out_(out)
    , batch_size_(std::max<std::size_t>(batch_size, 1))
    , queue_depth_(std::max<std::size_t>(queue_depth, 1)) {
    batch_.reserve(batch_size_);
    worker_ = std::thread([this] { run(); });
}

PipelinedSink::~PipelinedSink() {
    {
        std::lock_guard lock(mutex_);
        if (!closing_) {
            abandoned_ = true;
        }
    }
    changed_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

void PipelinedSink::rethrow_failure() {
    if (failure_) {
        std::rethrow_exception(failure_);
    }
}

void PipelinedSink::write(std::span<const std::byte> bytes) {
    if (finished_) {
        throw std::logic_error("pipelined sink: write after finish");
    }
    while (!bytes.empty()) {
        std::size_t take = std::min(bytes.size(), batch_size_ - batch_.size());
        batch_.insert(batch_.end(), bytes.begin(), bytes.begin() + static_cast<long>(take));
        bytes = bytes.subspan(take);
        if (batch_.size() == batch_size_) {
            push_batch();
        }
    }
}

void PipelinedSink::push_batch() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < queue_depth_ || failure_; });
    rethrow_failure();
    queue_.push_back(std::move(batch_));
    if (free_batches_.empty()) {
        batch_ = std::vector<std::byte>();
        batch_.reserve(batch_size_);
    } else {
        batch_ = std::move(free_batches_.back());
        free_batches_.pop_back();
    }
    lock.unlock();
    changed_.notify_all();
}

void PipelinedSink::finish() {
    if (finished_) {
        return;
    }
    if (!batch_.empty()) {
        push_batch();
    }
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    changed_.notify_all();
    worker_.join();
    finished_ = true;
    rethrow_failure();
}

void PipelinedSink::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        changed_.wait(lock, [this] { return !queue_.empty() || closing_ || abandoned_; });
        if (abandoned_) {
            return;
        }
        if (queue_.empty()) { // closing, and everything written
            lock.unlock();
            try {
                out_.finish();
            } catch (...) {
                lock.lock();
                failure_ = std::current_exception();
            }
            return;
        }
        std::vector<std::byte> batch = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        changed_.notify_all();
        try {
            out_.write(batch);
        } catch (...) {
            lock.lock();
            failure_ = std::current_exception();
            changed_.notify_all();
            return;
        }
        batch.clear();
        lock.lock();
        free_batches_.push_back(std::move(batch));
    }
}

} // namespace offstage::archive
