#include "stager/age/parallel_sealer.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/stream.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <openssl/crypto.h>

namespace offstage::age {

namespace {

constexpr std::size_t job_plain_size = ParallelSealer::chunks_per_job * stream::chunk_size;
constexpr std::size_t job_sealed_size = ParallelSealer::chunks_per_job * stream::sealed_chunk_size;

std::uint64_t chunks_in(std::size_t plaintext) {
    // An empty job is only ever the final one of an empty plaintext: one empty final chunk.
    return std::max<std::uint64_t>(1, (plaintext + stream::chunk_size - 1) / stream::chunk_size);
}

} // namespace

ParallelSealer::ParallelSealer(std::span<const std::uint8_t, 32> payload_key, int threads,
                               platform::ByteSink& out, std::vector<std::uint8_t> prefix)
    : out_(out)
    , prefix_(std::move(prefix)) {
    const auto count = static_cast<std::size_t>(std::max(threads, 1));
    // Two jobs more than threads: one being filled by the caller and one being written while
    // every thread seals.
    for (std::size_t i = 0; i < count + 2; ++i) {
        auto job = std::make_unique<Job>();
        job->plain = std::make_unique_for_overwrite<std::uint8_t[]>(job_plain_size);
        job->sealed = std::make_unique_for_overwrite<std::uint8_t[]>(job_sealed_size);
        free_.push_back(job.get());
        jobs_.push_back(std::move(job));
    }
    for (std::size_t i = 0; i < count; ++i) {
        ciphers_.push_back(
            std::make_unique<ChunkCipher>(payload_key, ChunkCipher::Direction::seal));
    }
    // Named so that per-thread CPU figures (bench/archive) say what each thread does.
    workers_.start(
        count, "age-seal", [this](std::size_t i) { run(*ciphers_[i]); }, mutex_, stopping_, work_);
}

ParallelSealer::~ParallelSealer() {
    workers_.stop_and_join();
    // The plaintext must not linger in freed memory (the serial encryptor wipes its chunk too).
    for (const auto& job : jobs_) {
        OPENSSL_cleanse(job->plain.get(), job_plain_size);
    }
}

void ParallelSealer::rethrow_failure() {
    if (failure_) {
        std::rethrow_exception(failure_);
    }
}

ParallelSealer::Job* ParallelSealer::take_free_job() {
    std::unique_lock lock(mutex_);
    space_.wait(lock, [this] { return !free_.empty() || failure_; });
    rethrow_failure();
    Job* job = free_.back();
    free_.pop_back();
    job->size = 0;
    job->done = false;
    return job;
}

void ParallelSealer::write(std::span<const std::uint8_t> data) {
    if (finished_) {
        throw AgeError("write to an age encryptor after finish()");
    }
    while (!data.empty()) {
        // A full job goes only now that another byte has arrived: its last chunk may be the
        // final chunk of the stream, which must be marked as such.
        if (current_ != nullptr && current_->size == job_plain_size) {
            submit(false);
        }
        if (current_ == nullptr) {
            current_ = take_free_job();
        }
        const std::size_t take = std::min(job_plain_size - current_->size, data.size());
        std::memcpy(current_->plain.get() + current_->size, data.data(), take);
        current_->size += take;
        data = data.subspan(take);
    }
}

void ParallelSealer::submit(bool last) {
    const std::uint64_t chunks = chunks_in(current_->size);
    if (counter_ > std::numeric_limits<std::uint64_t>::max() - chunks) {
        throw AgeError("age STREAM chunk counter exhausted"); // 2^64 chunks: never in practice
    }
    current_->first_counter = counter_;
    current_->last = last;
    counter_ += chunks;
    {
        std::lock_guard lock(mutex_);
        rethrow_failure();
        in_order_.push_back(current_);
        to_seal_.push_back(current_);
    }
    current_ = nullptr;
    work_.notify_one();
}

void ParallelSealer::finish() {
    if (finished_) {
        throw AgeError("age encryptor finished twice");
    }
    finished_ = true;
    if (current_ == nullptr) {
        current_ = take_free_job();
    }
    submit(true);
    {
        std::unique_lock lock(mutex_);
        space_.wait(lock, [this] { return (in_order_.empty() && !writing_) || failure_; });
        rethrow_failure();
    }
    workers_.stop_and_join();
    ciphers_.clear(); // frees the contexts and with them the payload key schedules
    out_.finish();
}

void ParallelSealer::seal(ChunkCipher& cipher, Job& job) {
    const std::uint64_t chunks = chunks_in(job.size);
    std::size_t sealed = 0;
    for (std::uint64_t i = 0; i < chunks; ++i) {
        const std::size_t offset = static_cast<std::size_t>(i) * stream::chunk_size;
        const std::size_t length = std::min(stream::chunk_size, job.size - offset);
        cipher.seal(stream::chunk_nonce(job.first_counter + i, job.last && i + 1 == chunks),
                    std::span(job.plain.get() + offset, length), job.sealed.get() + sealed);
        sealed += length + ChunkCipher::tag_size;
    }
    job.sealed_size = sealed;
}

void ParallelSealer::run(ChunkCipher& cipher) {
    std::unique_lock lock(mutex_);
    for (;;) {
        work_.wait(lock, [this] { return !to_seal_.empty() || stopping_; });
        if (stopping_) {
            return; // finish() stops only once everything is written; otherwise abandoned
        }
        Job* job = to_seal_.front();
        to_seal_.pop_front();
        lock.unlock();
        try {
            seal(cipher, *job);
        } catch (...) {
            lock.lock();
            failure_ = std::current_exception();
            space_.notify_all();
            continue;
        }
        lock.lock();
        job->done = true;
        write_finished(lock);
    }
}

// Writes the finished jobs at the head of the order, unless another thread is at it: that
// thread looks at the head again after each job, so a job finished meanwhile is not missed.
void ParallelSealer::write_finished(std::unique_lock<std::mutex>& lock) {
    if (writing_) {
        return;
    }
    writing_ = true;
    while (!failure_ && !in_order_.empty() && in_order_.front()->done) {
        Job* job = in_order_.front();
        in_order_.pop_front();
        lock.unlock();
        try {
            if (!prefix_.empty()) {
                out_.write(std::as_bytes(std::span(prefix_)));
                prefix_.clear();
            }
            out_.write(std::as_bytes(std::span(job->sealed.get(), job->sealed_size)));
        } catch (...) {
            lock.lock();
            failure_ = std::current_exception();
            break;
        }
        lock.lock();
        free_.push_back(job);
        space_.notify_all();
    }
    writing_ = false;
    space_.notify_all();
}

} // namespace offstage::age
