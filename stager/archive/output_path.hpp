// Where `-o OUT` of encrypt, decrypt and archive writes, decided from what OUT is before any
// input is read, so that a mistake fails at once rather than after the whole input:
//  - nothing, or a regular file: a new file written through AtomicOutputFile, renamed over OUT
//    only once complete;
//  - a character device or a FIFO (/dev/null, a tape, a named pipe): written in place as a
//    stream, opened O_WRONLY|O_NOFOLLOW, with no temporary file and no rename, so that the node
//    stays what it is. Like standard output, a stream cannot be taken back: a failed run leaves
//    it without age's final chunk, which every age reader rejects as truncated;
//  - anything else is refused (OutputPathRefused): an empty name, a name ending in '/', a
//    symbolic link (renaming over it would replace the link, not write where it points), a
//    directory, a socket, a block device.
#pragma once

#include "platform/byte_stream.hpp"

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace offstage::archive {

// An output path that is not written to; what() names it and says what it is.
class OutputPathRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class OutputPath {
public:
    enum class Kind {
        file,   // absent or a regular file: replaced atomically
        stream, // a character device or a FIFO: written in place
    };

    // Examines `path` (lstat, and its directory when it does not exist). Throws
    // OutputPathRefused, or std::system_error when it cannot be examined (a missing directory).
    static OutputPath check(const std::filesystem::path& path);

    Kind kind() const { return kind_; }
    const std::filesystem::path& path() const { return path_; }

    // Opens it for writing: an AtomicOutputFile, or the stream, whose type is checked again
    // through the open descriptor (OUT may have changed since check()). Opening a FIFO waits
    // for a reader, as a shell redirection does.
    std::unique_ptr<platform::ByteSink> open() const;

private:
    OutputPath(std::filesystem::path path, Kind kind)
        : path_(std::move(path))
        , kind_(kind) {}

    std::filesystem::path path_;
    Kind kind_;
};

// `path` in single quotes for a message, with control bytes, quotes, backslashes and non-ASCII
// bytes as \xHH: a hostile name cannot drive the terminal.
std::string quoted_path(const std::filesystem::path& path);

// What a file of type `mode` (st_mode) is, for messages: "a directory", "a symbolic link"...
std::string_view file_type_name(mode_t mode);

} // namespace offstage::archive
