// A day directory opened once and read only through its descriptor. A pulled copy is not
// trusted: every name is resolved below the day one component at a time with O_NOFOLLOW, so no
// symlink in it is ever followed and no name can reach outside it; only regular files are
// opened for reading (a FIFO or a device planted under an artifact's name is refused unread).
#pragma once

#include "platform/unique_fd.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::restore {

class DayDirectory {
public:
    // Throws std::system_error naming the path when it cannot be opened as a directory.
    explicit DayDirectory(const std::filesystem::path& path);

    struct Opened {
        enum class State {
            open,       // fd is a regular file
            missing,    // no such name
            refused,    // there, but not a regular file reached without a symlink
            read_error, // the system refused (permission, I/O): `problem` says which errno
        };
        State state = State::missing;
        platform::UniqueFd fd;
        std::string problem; // why it is not open
    };

    // Opens `name`, a relative name of the grammar (components separated by '/', none empty,
    // ".", ".." or absolute: refused without touching the disk).
    Opened open_file(std::string_view name) const;

    struct Entry {
        std::string name; // relative to the day, '/'-separated, raw bytes
        std::string kind; // "file", "symlink", "fifo", "socket", "device", "unreadable directory"
    };
    // Everything below the day that is not a directory, sorted by name (byte order). Walks at
    // most 16 levels deep; a deeper directory is an entry of its own.
    std::vector<Entry> list() const;

    const std::filesystem::path& path() const { return path_; }

private:
    void list_into(int dir_fd, const std::string& prefix, int depth,
                   std::vector<Entry>& entries) const;

    std::filesystem::path path_;
    platform::UniqueFd fd_;
};

// The whole content of the open file `fd`, at most `limit` bytes; nullopt when it is larger or
// cannot be read, with `problem` saying which ("read: Input/output error", "larger than 64 kB,
// not an offstage file") and `read_error` set for the second kind.
struct WholeFile {
    std::optional<std::string> content;
    bool read_error = false;
    std::string problem;
};
WholeFile read_whole(int fd, std::size_t limit);

} // namespace offstage::restore
