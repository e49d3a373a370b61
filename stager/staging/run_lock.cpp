#include "stager/staging/run_lock.hpp"

#include "platform/system_error.hpp"

#include <cerrno>
#include <charconv>
#include <ctime>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace offstage::staging {

namespace {

std::string read_all(int fd) {
    std::string text;
    char buffer[512];
    off_t offset = 0;
    while (text.size() < 4096) {
        ssize_t got = ::pread(fd, buffer, sizeof buffer, offset);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(got));
        offset += got;
    }
    return text;
}

std::optional<LockHolder> parse_holder(const std::string& text) {
    LockHolder holder;
    std::istringstream lines(text);
    std::string line;
    bool any = false;
    while (std::getline(lines, line)) {
        auto equals = line.find('=');
        if (equals == std::string::npos) {
            continue;
        }
        std::string key = line.substr(0, equals);
        std::string value = line.substr(equals + 1);
        if (key == "pid") {
            std::from_chars(value.data(), value.data() + value.size(), holder.pid);
            any = true;
        } else if (key == "boot_id") {
            holder.boot_id = value;
            any = true;
        } else if (key == "started") {
            holder.started = value;
        }
    }
    return any ? std::optional<LockHolder>(holder) : std::nullopt;
}

std::string now_rfc3339() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

platform::UniqueFd open_lock_file(const std::filesystem::path& path, int flags) {
    if (flags & O_CREAT) {
        std::filesystem::path parent = path.parent_path();
        std::error_code error;
        if (!parent.empty() && !std::filesystem::create_directories(parent, error) && error) {
            throw std::system_error(error, "create the run lock's directory " + parent.string());
        }
    }
    platform::UniqueFd fd(::open(path.c_str(), flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (!fd) {
        if (errno == ENOENT && !(flags & O_CREAT)) {
            return fd;
        }
        platform::throw_errno("open the run lock " + path.string());
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        platform::throw_errno("stat the run lock " + path.string());
    }
    if (!S_ISREG(info.st_mode)) {
        throw std::system_error(EINVAL, std::generic_category(),
                                "the run lock " + path.string() + " is not a regular file");
    }
    return fd;
}

} // namespace

std::string current_boot_id() {
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::string id;
    std::getline(in, id);
    return id;
}

std::string LockHolder::describe() const {
    std::string text = "pid " + std::to_string(pid);
    if (!boot_id.empty() && boot_id == current_boot_id()) {
        text += " of this boot";
    } else {
        text += " of an earlier boot" + (boot_id.empty() ? "" : " (" + boot_id + ")");
    }
    if (!started.empty()) {
        text += ", started " + started;
    }
    return text;
}

std::optional<RunLock::Taken> RunLock::acquire(const std::filesystem::path& path,
                                               std::chrono::milliseconds wait) {
    platform::UniqueFd fd = open_lock_file(path, O_RDWR | O_CREAT);
    auto deadline = std::chrono::steady_clock::now() + wait;
    // Polled rather than a blocking flock under alarm(): no signal handler to race with, and
    // the budget is honoured to within the poll interval.
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR) {
            continue;
        }
        if (errno != EWOULDBLOCK) {
            platform::throw_errno("lock " + path.string());
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::optional<LockHolder> stale = parse_holder(read_all(fd.get()));
    std::string lines = "pid=" + std::to_string(::getpid()) + "\nboot_id=" + current_boot_id() +
                        "\nstarted=" + now_rfc3339() + "\n";
    if (::ftruncate(fd.get(), 0) != 0 ||
        ::pwrite(fd.get(), lines.data(), lines.size(), 0) != static_cast<ssize_t>(lines.size())) {
        platform::throw_errno("write the run lock " + path.string());
    }
    return Taken{RunLock(std::move(fd)), std::move(stale)};
}

std::optional<LockHolder> RunLock::live_holder(const std::filesystem::path& path) {
    platform::UniqueFd fd = open_lock_file(path, O_RDONLY);
    if (!fd) {
        return std::nullopt;
    }
    if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) {
        return std::nullopt; // free: whatever lines it holds are a dead holder's
    }
    if (errno != EWOULDBLOCK) {
        platform::throw_errno("lock " + path.string());
    }
    std::optional<LockHolder> holder = parse_holder(read_all(fd.get()));
    return holder ? holder : LockHolder{};
}

RunLock::~RunLock() {
    if (fd_) {
        // Best effort: a failure here only makes the next run report a takeover.
        [[maybe_unused]] int ignored = ::ftruncate(fd_.get(), 0);
    }
}

} // namespace offstage::staging
