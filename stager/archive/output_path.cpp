#include "stager/archive/output_path.hpp"

#include "platform/fd_stream.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/archive/atomic_output_file.hpp"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

// A character device or a FIFO, written where it is.
class StreamOutputFile : public platform::ByteSink {
public:
    StreamOutputFile(platform::UniqueFd fd, std::string name)
        : fd_(std::move(fd))
        , sink_(fd_.get(), std::move(name)) {}

    void write(std::span<const std::byte> bytes) override { sink_.write(bytes); }

    // close(2) reports what a device did not manage to write (a tape, a full pipe's reader).
    void finish() override {
        if (fd_ && ::close(fd_.release()) != 0 && errno != EINTR) {
            platform::throw_errno("close " + sink_.name());
        }
    }

private:
    platform::UniqueFd fd_;
    platform::FdSink sink_;
};

bool is_stream(mode_t mode) {
    return S_ISCHR(mode) || S_ISFIFO(mode);
}

[[noreturn]] void refuse(const std::filesystem::path& path, mode_t mode) {
    std::string what = quoted_path(path) + " is " + std::string(file_type_name(mode)) + ": ";
    if (S_ISLNK(mode)) {
        what += "refusing to replace a symbolic link with the output; give the path it points "
                "to, or - for standard output";
    } else if (S_ISDIR(mode)) {
        what += "-o needs a file name";
    } else {
        what += "-o writes only to a regular file (replaced once complete), a character device "
                "or a FIFO";
    }
    throw OutputPathRefused(what);
}

} // namespace

OutputPath OutputPath::check(const std::filesystem::path& path) {
    if (path.empty()) {
        throw OutputPathRefused("the output file name is empty; give a file name, or - for "
                                "standard output");
    }
    if (!path.has_filename()) {
        throw OutputPathRefused(quoted_path(path) + " ends with '/': -o needs a file name");
    }
    struct stat status {};
    if (::lstat(path.c_str(), &status) == 0) {
        if (S_ISREG(status.st_mode)) {
            return OutputPath(path, Kind::file);
        }
        if (is_stream(status.st_mode)) {
            return OutputPath(path, Kind::stream);
        }
        refuse(path, status.st_mode);
    }
    if (errno != ENOENT) {
        platform::throw_errno("examine the output " + quoted_path(path));
    }
    // The file is created later (for decrypt, once the header verified): its directory must
    // exist now.
    std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : ".";
    if (::stat(directory.c_str(), &status) != 0) {
        platform::throw_errno("the output's directory " + quoted_path(directory));
    }
    if (!S_ISDIR(status.st_mode)) {
        platform::throw_errno(ENOTDIR, "the output's directory " + quoted_path(directory));
    }
    return OutputPath(path, Kind::file);
}

std::unique_ptr<platform::ByteSink> OutputPath::open() const {
    if (kind_ == Kind::file) {
        return std::make_unique<AtomicOutputFile>(path_);
    }
    // No O_CREAT and no O_TRUNC: if OUT was replaced by a regular file since check(), nothing
    // of it is changed before the type check below refuses it.
    platform::UniqueFd fd(::open(path_.c_str(), O_WRONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
    if (!fd) {
        platform::throw_errno("open the output " + quoted_path(path_));
    }
    struct stat status {};
    if (::fstat(fd.get(), &status) != 0) {
        platform::throw_errno("fstat the output " + quoted_path(path_));
    }
    if (!is_stream(status.st_mode)) {
        refuse(path_, status.st_mode);
    }
    return std::make_unique<StreamOutputFile>(std::move(fd), quoted_path(path_));
}

std::string quoted_path(const std::filesystem::path& path) {
    std::string text = "'";
    for (unsigned char c : path.native()) {
        if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\') {
            char escaped[5];
            std::snprintf(escaped, sizeof escaped, "\\x%02x", c);
            text += escaped;
        } else {
            text += static_cast<char>(c);
        }
    }
    return text + "'";
}

std::string_view file_type_name(mode_t mode) {
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "a regular file";
    case S_IFDIR:
        return "a directory";
    case S_IFLNK:
        return "a symbolic link";
    case S_IFCHR:
        return "a character device";
    case S_IFBLK:
        return "a block device";
    case S_IFIFO:
        return "a FIFO";
    case S_IFSOCK:
        return "a socket";
    default:
        return "a file of unknown type";
    }
}

} // namespace offstage::archive
