// A ByteSink that hands its bytes to another sink running in a thread of its own, through a
// bounded queue of batches: the producer (tar, compression) and the consumer (encryption, disk)
// then use two cores instead of taking turns. Memory is bounded by batch_size * queue_depth.
// An exception thrown by the downstream sink is rethrown to the producer by the next write()
// or by finish(); nothing is lost silently.
#pragma once

#include "platform/byte_stream.hpp"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace offstage::archive {

class PipelinedSink : public platform::ByteSink {
public:
    static constexpr std::size_t default_batch_size = 1 << 20;
    static constexpr std::size_t default_queue_depth = 4;

    // `out` is used only from the worker thread (write and finish) until finish() returns.
    explicit PipelinedSink(platform::ByteSink& out, std::size_t batch_size = default_batch_size,
                           std::size_t queue_depth = default_queue_depth);
    // Stops the worker without finishing `out` when finish() was not called (an error path).
    ~PipelinedSink() override;
    PipelinedSink(const PipelinedSink&) = delete;
    PipelinedSink& operator=(const PipelinedSink&) = delete;

    void write(std::span<const std::byte> bytes) override;
    // The free tail of the batch being filled (a fresh batch when little is left), so that a
    // producer can read into the memory the consumer will get. The next write() must be of
    // those bytes (or none of them): any other throws std::logic_error rather than overwrite
    // them.
    std::span<std::byte> reserve(std::size_t size) override;
    // Flushes the queue, calls out.finish() in the worker and waits for it.
    void finish() override;

private:
    // Fixed capacity (batch_size_), filled from the front; no zeroing on allocation or reuse.
    struct Batch {
        std::unique_ptr<std::byte[]> bytes;
        std::size_t size = 0;
    };

    Batch new_batch();
    void push_batch();
    void run();
    void rethrow_failure();

    platform::ByteSink& out_;
    std::size_t batch_size_;
    std::size_t queue_depth_;
    Batch batch_;
    std::span<std::byte> reserved_; // handed out by reserve(), not written yet

    std::mutex mutex_;
    std::condition_variable changed_;
    std::deque<Batch> queue_;
    std::vector<Batch> free_batches_; // recycled so steady state allocates nothing
    bool closing_ = false;            // no more batches will come: finish out and stop
    bool abandoned_ = false;          // stop without finishing out
    bool finished_ = false;
    std::exception_ptr failure_;
    std::thread worker_;
};

} // namespace offstage::archive
