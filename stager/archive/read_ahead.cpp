#include "stager/archive/read_ahead.hpp"

#include "stager/archive/scoped_c_utf8_locale.hpp"

#include <algorithm>

namespace offstage::archive {

ReadAhead::Limits ReadAhead::limits_for(int threads) {
    Limits limits;
    limits.threads = std::max(threads, 1);
    const auto count = static_cast<std::size_t>(limits.threads);
    // Enough small files in flight to keep every reader busy while the writer is held up by a
    // large one, and few enough descriptors: only large files keep theirs until written.
    limits.max_entries = std::min<std::size_t>(256, 32 * count);
    // 4 MiB of whole files per reader, 8 to 64 MiB in all.
    limits.budget_bytes = std::clamp<std::size_t>(count * (4 << 20), 8 << 20, 64 << 20);
    limits.window = count + 1;
    return limits;
}

ReadAhead::ReadAhead(const Limits& limits, const std::string& root,
                     EntryReader::BeforeReadHook hook)
    : limits_(limits) {
    // The readers are made here, so that one that cannot start throws to the caller.
    for (int i = 0; i < limits_.threads; ++i) {
        readers_.push_back(std::make_unique<EntryReader>(root, hook, piece_size));
    }
    // Named so that per-thread CPU figures (bench/archive) say what each thread does.
    workers_.start(
        readers_.size(), "tar-read", [this](std::size_t i) { run(*readers_[i]); }, mutex_,
        stopping_, work_);
}

ReadAhead::~ReadAhead() {
    workers_.stop_and_join();
}

void ReadAhead::push(const std::string& path) {
    auto slot = std::make_shared<Slot>();
    slot->path = path;
    slot->number = pushed_++;
    in_flight_.push_back(slot);
    unqueued_.push_back(std::move(slot));
    if (unqueued_.size() >= push_batch) {
        hand_over();
    }
}

// Paths go to the readers a few at a time: one lock and at most one wake-up for all of them
// (each wake-up costs a futex call and a context switch; only a reader that sleeps gets one).
void ReadAhead::hand_over() {
    if (unqueued_.empty()) {
        return;
    }
    std::size_t wake = 0;
    {
        std::lock_guard lock(mutex_);
        for (auto& slot : unqueued_) {
            to_read_.push_back(std::move(slot));
        }
        wake = std::min<std::size_t>(static_cast<std::size_t>(idle_readers_), unqueued_.size());
    }
    unqueued_.clear();
    if (wake == 1) {
        work_.notify_one();
    } else if (wake > 1) {
        work_.notify_all();
    }
}

bool ReadAhead::next_ready() {
    std::lock_guard lock(mutex_);
    return !in_flight_.empty() && in_flight_.front()->done;
}

PreparedEntry ReadAhead::next() {
    hand_over();
    std::shared_ptr<Slot> slot = std::move(in_flight_.front());
    in_flight_.pop_front();
    bool wake = false;
    {
        std::unique_lock lock(mutex_);
        wait_ready(lock, slot.get(), [&] { return slot->done; });
        // From now on the next slot is the one the writer waits for: it may go over budget.
        next_written_ = slot->number + 1;
        wake = reserving_ > 0;
    }
    if (wake) {
        work_.notify_all();
    }
    if (slot->failure) {
        std::rethrow_exception(slot->failure);
    }
    return std::move(slot->result);
}

void ReadAhead::release(std::size_t budget) {
    if (budget == 0) {
        return;
    }
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        budget_used_ -= budget;
        wake = reserving_ > 0;
    }
    if (wake) {
        work_.notify_all();
    }
}

void ReadAhead::read_piece(const std::shared_ptr<RangeRead>& piece) {
    bool wake = false;
    {
        std::lock_guard lock(mutex_);
        pieces_.push_back(piece);
        wake = idle_readers_ > 0;
    }
    if (wake) {
        work_.notify_one();
    }
}

void ReadAhead::wait_piece(const RangeRead& piece) {
    std::unique_lock lock(mutex_);
    // A piece no reader has taken yet is read here: every reader may be waiting in reserve() for
    // budget that only the writer's progress frees, and the writer would wait for them forever
    // (seen on a real root: two readers in reserve(), the writer waiting for a piece).
    auto queued =
        std::find_if(pieces_.begin(), pieces_.end(),
                     [&](const std::shared_ptr<RangeRead>& p) { return p.get() == &piece; });
    if (queued != pieces_.end()) {
        std::shared_ptr<RangeRead> mine = std::move(*queued);
        pieces_.erase(queued);
        lock.unlock();
        mine->read();
        lock.lock();
        mine->done = true;
        return;
    }
    wait_ready(lock, &piece, [&] { return piece.done; });
}

template <typename Predicate>
void ReadAhead::wait_ready(std::unique_lock<std::mutex>& lock, const void* awaited,
                           Predicate done) {
    awaited_ = awaited;
    ready_.wait(lock, done);
    awaited_ = nullptr;
}

// Waits until `bytes` more fit in the budget, or the writer waits for this very slot (then
// it must not wait for slots behind it to be written: they never would be).
void ReadAhead::reserve(const Slot& slot, std::size_t bytes) {
    std::unique_lock lock(mutex_);
    ++reserving_;
    work_.wait(lock, [&] {
        return budget_used_ + bytes <= limits_.budget_bytes || slot.number <= next_written_ ||
               stopping_;
    });
    --reserving_;
    budget_used_ += bytes;
}

void ReadAhead::run(EntryReader& reader) {
    ScopedCUtf8Locale locale; // libarchive converts names through the thread's locale
    std::unique_lock lock(mutex_);
    for (;;) {
        ++idle_readers_;
        work_.wait(lock, [this] { return !pieces_.empty() || !to_read_.empty() || stopping_; });
        --idle_readers_;
        if (stopping_) {
            return;
        }
        if (!pieces_.empty()) {
            std::shared_ptr<RangeRead> piece = std::move(pieces_.front());
            pieces_.pop_front();
            lock.unlock();
            piece->read();
            lock.lock();
            piece->done = true;
            if (awaited_ == piece.get()) {
                ready_.notify_all();
            }
            continue;
        }
        std::shared_ptr<Slot> slot = std::move(to_read_.front());
        to_read_.pop_front();
        lock.unlock();
        try {
            slot->result =
                reader.prepare(slot->path, [&](std::size_t bytes) { reserve(*slot, bytes); });
        } catch (...) {
            slot->failure = std::current_exception();
        }
        lock.lock();
        slot->done = true;
        if (awaited_ == slot.get()) {
            ready_.notify_all();
        }
    }
}

} // namespace offstage::archive
