// Seals the chunks of an age STREAM payload on several threads and writes them to a sink in
// order. Chunks are independent given their counter nonce (docs/encryption.md), so the bytes
// written are exactly those one thread would write. The caller's bytes are copied into jobs of
// `chunks_per_job` chunks; a pool of threads seals whole jobs, and whichever thread completes
// the oldest job writes every finished job in order (the sink is used by one thread at a time).
// Memory is bounded: (threads + 2) jobs of plaintext and sealed text, about 2 MiB each.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/worker_threads.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

namespace offstage::age {

class ChunkCipher;

class ParallelSealer {
public:
    static constexpr std::size_t chunks_per_job = 16;

    // `prefix` (the header and payload nonce) is written before the first chunk. `threads` >= 1
    // seal threads are started; each gets its own cipher context keyed with `payload_key`,
    // which the caller may wipe once this returns.
    ParallelSealer(std::span<const std::uint8_t, 32> payload_key, int threads,
                   platform::ByteSink& out, std::vector<std::uint8_t> prefix);
    // Without finish() (an error path): stops the threads, leaves `out` unfinished.
    ~ParallelSealer();
    ParallelSealer(const ParallelSealer&) = delete;
    ParallelSealer& operator=(const ParallelSealer&) = delete;

    // Passes on (from the next call) what a seal thread or `out` threw.
    void write(std::span<const std::uint8_t> data);
    // Seals the final chunk, waits until everything is written, then calls out.finish().
    void finish();

private:
    struct Job {
        std::unique_ptr<std::uint8_t[]> plain;
        std::unique_ptr<std::uint8_t[]> sealed;
        std::size_t size = 0; // plaintext bytes
        std::size_t sealed_size = 0;
        std::uint64_t first_counter = 0;
        bool last = false;
        bool done = false;
    };

    void run(ChunkCipher& cipher);
    void seal(ChunkCipher& cipher, Job& job);
    void write_finished(std::unique_lock<std::mutex>& lock);
    void submit(bool last);
    Job* take_free_job();
    void rethrow_failure();

    platform::ByteSink& out_;
    std::vector<std::uint8_t> prefix_; // written before the first job, then cleared
    std::vector<std::unique_ptr<Job>> jobs_;
    std::vector<std::unique_ptr<ChunkCipher>> ciphers_;
    Job* current_ = nullptr; // being filled by the caller
    std::uint64_t counter_ = 0;
    bool finished_ = false;

    std::mutex mutex_;
    std::condition_variable work_;  // a job to seal, or stop
    std::condition_variable space_; // a job is free again, everything is written, or a failure
    std::deque<Job*> to_seal_;
    std::deque<Job*> in_order_; // submitted and not written yet, oldest first
    std::vector<Job*> free_;
    bool writing_ = false; // a thread is writing finished jobs to out_
    bool stopping_ = false;
    std::exception_ptr failure_;
    platform::WorkerThreads workers_; // last: stopped before anything they use is destroyed
};

} // namespace offstage::age
