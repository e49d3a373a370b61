#include "stager/archive/pipelined_sink.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <utility>

namespace offstage::archive {

PipelinedSink::PipelinedSink(platform::ByteSink& out, std::size_t batch_size,
                             std::size_t queue_depth)
    : out_(out)
    , batch_size_(std::max<std::size_t>(batch_size, 1))
    , queue_depth_(std::max<std::size_t>(queue_depth, 1))
    , batch_(new_batch()) {
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

PipelinedSink::Batch PipelinedSink::new_batch() {
    return Batch{std::make_unique_for_overwrite<std::byte[]>(batch_size_), 0};
}

void PipelinedSink::write(std::span<const std::byte> bytes) {
    if (finished_) {
        throw std::logic_error("pipelined sink: write after finish");
    }
    if (!reserved_.empty()) {
        // Only the bytes filled in place may follow a reserve(): anything else would land on
        // them before they are taken.
        std::span<std::byte> reserved = std::exchange(reserved_, {});
        if (!bytes.empty() && (bytes.data() != reserved.data() || bytes.size() > reserved.size())) {
            throw std::logic_error("pipelined sink: a write between reserve() and the write of "
                                   "the reserved bytes");
        }
    }
    while (!bytes.empty()) {
        std::byte* tail = batch_.bytes.get() + batch_.size;
        std::size_t take = std::min(bytes.size(), batch_size_ - batch_.size);
        // Bytes filled in place through reserve() are already where they belong. memmove:
        // a misbehaving producer could pass bytes from our own free tail.
        if (bytes.data() != tail) {
            std::memmove(tail, bytes.data(), take);
        }
        batch_.size += take;
        bytes = bytes.subspan(take);
        if (batch_.size == batch_size_) {
            push_batch();
        }
    }
}

std::span<std::byte> PipelinedSink::reserve(std::size_t size) {
    if (finished_) {
        throw std::logic_error("pipelined sink: reserve after finish");
    }
    // A nearly full batch goes now, rather than leaving the producer a sliver to read into.
    constexpr std::size_t least_worth_reading = 64 << 10;
    std::size_t free = batch_size_ - batch_.size;
    if (free < std::min(size, least_worth_reading) && batch_.size > 0) {
        push_batch();
        free = batch_size_;
    }
    reserved_ = {batch_.bytes.get() + batch_.size, std::min(size, free)};
    return reserved_;
}

void PipelinedSink::push_batch() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return queue_.size() < queue_depth_ || failure_; });
    rethrow_failure();
    queue_.push_back(std::move(batch_));
    if (free_batches_.empty()) {
        batch_ = new_batch();
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
    if (batch_.size > 0) {
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
        Batch batch = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        changed_.notify_all();
        try {
            out_.write(std::span<const std::byte>(batch.bytes.get(), batch.size));
        } catch (...) {
            lock.lock();
            failure_ = std::current_exception();
            changed_.notify_all();
            return;
        }
        batch.size = 0;
        lock.lock();
        free_batches_.push_back(std::move(batch));
    }
}

} // namespace offstage::archive
