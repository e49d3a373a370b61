// A bounded pool of reader threads that open and read the paths of an archive ahead of the tar
// writer (issue #13): each thread owns an EntryReader (its own BeneathRoot and libarchive disk
// reader) and takes the next path in the order given; the tar writer takes the results back
// in that same order. Large files are read in pieces (RangeRead) by any thread, a window of
// them ahead of the writer, once the writer reaches the file.
//
// Memory and descriptors are bounded whatever the input (docs/archive-format.md, "Memory"):
// at most `max_entries` paths are in flight, whole files read ahead hold at most
// `budget_bytes` (the one the writer waits for may go over by its own size, so that it never
// waits for entries behind it), and pieces of large files at most `window` x piece size.
#pragma once

#include "platform/worker_threads.hpp"
#include "stager/archive/entry_reader.hpp"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace offstage::archive {

class ReadAhead {
public:
    static constexpr std::size_t piece_size = 1 << 20; // also the largest file read whole

    struct Limits {
        int threads = 1;
        std::size_t max_entries = 64;
        std::size_t budget_bytes = 8 << 20;
        std::size_t window = 3; // pieces of the current large file read ahead
    };
    // The limits for `threads` readers (docs/archive-format.md).
    static Limits limits_for(int threads);

    // Starts the threads; throws when one cannot start its EntryReader.
    ReadAhead(const Limits& limits, const std::string& root, EntryReader::BeforeReadHook hook);
    // Stops the threads (what they were reading is dropped).
    ~ReadAhead();
    ReadAhead(const ReadAhead&) = delete;
    ReadAhead& operator=(const ReadAhead&) = delete;

    // Whether another path may be queued without going over max_entries.
    bool full() const { return in_flight_.size() >= limits_.max_entries; }
    bool empty() const { return in_flight_.empty(); }
    // Queues a path (the caller checks full() first).
    void push(const std::string& path);
    // Whether the oldest path is read (next() would not wait).
    bool next_ready();
    // The oldest path's result, waiting for it; rethrows what its reader threw. The caller
    // hands back its budget with release() once the entry is written.
    PreparedEntry next();
    void release(std::size_t budget);

    // Reads a large file's pieces on the pool: queued ahead of every path.
    void read_piece(const std::shared_ptr<RangeRead>& piece);
    void wait_piece(const RangeRead& piece);
    std::size_t window() const { return limits_.window; }

private:
    struct Slot {
        std::string path;
        std::uint64_t number = 0;
        PreparedEntry result;
        std::exception_ptr failure;
        bool done = false;
    };
    void run(EntryReader& reader);
    void reserve(const Slot& slot, std::size_t bytes);
    template <typename Predicate>
    void wait_ready(std::unique_lock<std::mutex>& lock, const void* awaited, Predicate done);
    void hand_over();

    Limits limits_;
    static constexpr std::size_t push_batch = 8;
    std::deque<std::shared_ptr<Slot>> in_flight_; // the writer's side: oldest first
    std::vector<std::shared_ptr<Slot>> unqueued_; // pushed, not handed to the readers yet
    std::uint64_t pushed_ = 0;

    std::mutex mutex_;
    std::condition_variable work_;  // readers: a path or piece to read, budget, or stop
    std::condition_variable ready_; // the writer: a slot or piece done
    std::deque<std::shared_ptr<Slot>> to_read_;
    std::deque<std::shared_ptr<RangeRead>> pieces_;
    std::size_t budget_used_ = 0;
    std::uint64_t next_written_ = 0; // the number of the slot the writer waits for
    bool stopping_ = false;
    // Who sleeps, so that nobody is woken for nothing (each wake-up is a futex call).
    int idle_readers_ = 0;
    int reserving_ = 0;
    const void* awaited_ = nullptr;                     // the slot or piece the writer sleeps on
    std::vector<std::unique_ptr<EntryReader>> readers_; // one per thread
    platform::WorkerThreads workers_; // last: stopped before anything they use is destroyed
};

} // namespace offstage::archive
