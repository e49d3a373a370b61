#include "stager/sources/databases/fed_child.hpp"

#include "platform/fd_stream.hpp"
#include "platform/system_error.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace offstage::sources {

FedChild::FedChild(std::vector<std::string> argv, platform::ChildProcess::Options options,
                   std::function<void(std::string_view)> on_output) {
    std::string pattern = "/tmp/offstage-feed-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
        platform::throw_errno("mkdtemp " + pattern);
    }
    directory_ = pattern;
    fifo_ = directory_ / "input";
    if (::mkfifo(fifo_.c_str(), 0600) != 0) {
        int error = errno;
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
        throw std::system_error(error, std::generic_category(), "mkfifo " + fifo_.string());
    }
    options.input.reset();
    // ChildProcess opens it here, in this process (as root: the child's user never needs to
    // reach the private directory), before the fork.
    options.input_path = fifo_.string();
    thread_ = std::thread([this, argv = std::move(argv), options = std::move(options),
                           on_output = std::move(on_output)]() {
        try {
            status_ = platform::ChildProcess::run(argv, on_output, options);
        } catch (...) {
            error_ = std::current_exception();
        }
        ended_ = true;
    });
    open_writer();
}

// Waits until the child's side has opened the pipe (O_NONBLOCK: ENXIO until then), or it ended
// before (it could not start): writes then return false.
void FedChild::open_writer() {
    while (!writer_) {
        int fd = ::open(fifo_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) {
            writer_.reset(fd);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            break;
        }
        if (errno != ENXIO && errno != EINTR) {
            writer_gone_ = true;
            return;
        }
        if (ended_.load()) {
            writer_gone_ = true;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

bool FedChild::write(std::string_view bytes) {
    while (!bytes.empty()) {
        if (writer_gone_ || !writer_) {
            return false;
        }
        ssize_t n = platform::write_without_sigpipe(writer_.get(), bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            writer_gone_ = true; // EPIPE: it stopped reading
            writer_.reset();
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

int FedChild::finish() {
    writer_.reset();
    writer_gone_ = true;
    if (thread_.joinable()) {
        thread_.join();
    }
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
    if (error_) {
        std::exception_ptr error = std::exchange(error_, nullptr);
        std::rethrow_exception(error);
    }
    return status_;
}

FedChild::~FedChild() {
    try {
        finish();
    } catch (...) {
        // the caller did not ask (it is unwinding from another error)
    }
}

} // namespace offstage::sources
