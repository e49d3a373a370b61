#include "stager/archive/atomic_output_file.hpp"

#include "platform/system_error.hpp"
#include "stager/archive/output_path.hpp"

#include <cerrno>
#include <climits>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {

namespace {

// Six random characters, as mkstemp(3) would pick; ours, so that the name can be registered
// for removal on a signal before the file exists (termination_signals.hpp).
std::string random_suffix() {
    constexpr std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char bytes[6];
    if (::getrandom(bytes, sizeof bytes, 0) != static_cast<ssize_t>(sizeof bytes)) {
        platform::throw_errno("getrandom");
    }
    std::string suffix;
    for (unsigned char byte : bytes) {
        suffix += alphabet[byte % alphabet.size()];
    }
    return suffix;
}

// Only a regular file (or nothing) at `name` may be renamed over: a symbolic link or a device
// node would be replaced, not written to.
void refuse_unless_replaceable(int directory_fd, const std::string& name,
                               const std::filesystem::path& target) {
    struct stat status {};
    if (::fstatat(directory_fd, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) == 0) {
        if (!S_ISREG(status.st_mode)) {
            throw OutputPathRefused(quoted_path(target) + " is " +
                                    std::string(file_type_name(status.st_mode)) +
                                    ", not a regular file: refusing to replace it");
        }
    } else if (errno != ENOENT) {
        platform::throw_errno("examine the output " + quoted_path(target));
    }
}

} // namespace

AtomicOutputFile::AtomicOutputFile(std::filesystem::path target)
    : target_(std::move(target)) {
    if (!target_.has_filename()) {
        throw OutputPathRefused(quoted_path(target_) + " is not a file name");
    }
    directory_path_ = target_.has_parent_path() ? target_.parent_path() : ".";
    directory_.reset(::open(directory_path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!directory_) {
        platform::throw_errno("open the directory " + quoted_path(directory_path_));
    }
    const std::string name = target_.filename().string();
    refuse_unless_replaceable(directory_.get(), name, target_);
    for (int attempt = 1;; ++attempt) {
        std::string candidate = "." + name + ".tmp-" + random_suffix();
        if (candidate.size() > NAME_MAX) {
            platform::throw_errno(ENAMETOOLONG,
                                  "create a temporary file for " + quoted_path(target_));
        }
        // Registered first: a signal between the creation and the registration would
        // otherwise leave the file behind.
        removed_on_signal_.emplace(directory_.get(), candidate);
        int fd = ::openat(directory_.get(), candidate.c_str(),
                          O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            fd_.reset(fd);
            temporary_name_ = std::move(candidate);
            break;
        }
        int error = errno;
        removed_on_signal_.reset();
        if (error != EEXIST || attempt == 100) {
            platform::throw_errno(error, "create a temporary file " +
                                             quoted_path(directory_path_ / candidate));
        }
    }
    sink_.emplace(fd_.get(), quoted_path(temporary_path()));
}

AtomicOutputFile::~AtomicOutputFile() {
    if (!committed_) {
        ::unlinkat(directory_.get(), temporary_name_.c_str(), 0);
    }
}

void AtomicOutputFile::write(std::span<const std::byte> bytes) {
    sink_->write(bytes);
}

void AtomicOutputFile::finish() {
    if (committed_) {
        return;
    }
    const std::string shown = quoted_path(temporary_path());
    if (::fsync(fd_.get()) != 0) {
        platform::throw_errno("fsync " + shown);
    }
    if (::close(fd_.release()) != 0) {
        platform::throw_errno("close " + shown);
    }
    // Checked again: what is at the target may have changed while the output was written.
    const std::string name = target_.filename().string();
    refuse_unless_replaceable(directory_.get(), name, target_);
    if (::renameat(directory_.get(), temporary_name_.c_str(), directory_.get(), name.c_str()) !=
        0) {
        platform::throw_errno("rename " + shown + " to " + quoted_path(target_));
    }
    committed_ = true;
    // A signal from here on finds nothing to remove: the file is complete under its name.
    removed_on_signal_.reset();
    // The rename itself must survive a crash, not only the data.
    if (::fsync(directory_.get()) != 0) {
        platform::throw_errno("fsync the directory " + quoted_path(directory_path_));
    }
}

} // namespace offstage::archive
