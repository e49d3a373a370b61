// Collects what a command under test writes into a FIFO, on a thread of the test.
#pragma once

#include <filesystem>
#include <string>
#include <thread>

namespace offstage::test {

class FifoReader {
public:
    // Opens `fifo` (which must exist) for reading, and holds a writer end of its own: the reader
    // does not see the end of the data before the command has even opened the FIFO. Throws
    // std::system_error.
    explicit FifoReader(const std::filesystem::path& fifo);
    ~FifoReader();
    FifoReader(const FifoReader&) = delete;
    FifoReader& operator=(const FifoReader&) = delete;

    // Drops the held writer end, waits for the end of the data and returns all of it. Call it
    // once the command has ended.
    std::string finish();

private:
    int read_end_ = -1;
    int held_write_end_ = -1;
    std::string data_;
    std::thread thread_;
};

} // namespace offstage::test
