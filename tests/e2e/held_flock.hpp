// An exclusive flock(2) on a file, held by a child process until release() or destruction: what
// a spool's owner (spamd) or another `offstage run` holds while it works. A test holds a spool's
// lock to keep a running `backup` waiting inside the run, or the run lock to make it busy.
#pragma once

#include <filesystem>
#include <sys/types.h>

namespace offstage::e2e {

class HeldFlock {
public:
    // Returns once the lock is held; throws std::runtime_error if it cannot be taken.
    explicit HeldFlock(const std::filesystem::path& file);
    HeldFlock(const HeldFlock&) = delete;
    HeldFlock& operator=(const HeldFlock&) = delete;
    ~HeldFlock();

    // Ends the holder (the kernel drops its lock with it).
    void release();

private:
    pid_t holder_ = -1;
};

} // namespace offstage::e2e
