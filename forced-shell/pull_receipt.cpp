#include "forced-shell/pull_receipt.hpp"

#include "platform/staging_layout.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <ctime>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace offstage::forced_shell {

namespace {

[[noreturn]] void fail(int error, const std::filesystem::path& file, const std::string& what) {
    throw std::system_error(error, std::generic_category(),
                            "receipts file " + file.string() + ": " + what);
}

} // namespace

bool PullReceipt::transfers(const RsyncServerArgs& args) {
    // The cluster's letters end at 'e', where the capability suffix begins.
    std::string_view letters = args.cluster();
    letters = letters.substr(0, letters.find('e'));
    if (letters.find('n') != std::string_view::npos) {
        return false;
    }
    for (const std::string& option : args.options()) {
        if (option == "--dry-run" || option == "--list-only") {
            return false;
        }
    }
    return true;
}

std::vector<std::string> PullReceipt::served(const std::vector<std::string>& paths) {
    std::vector<std::string> tokens;
    for (const std::string& path : paths) {
        // Components, without the empty ones and rsync's "." markers ("DAY/./x", "DAY/.").
        std::vector<std::string_view> parts;
        std::string_view rest = path;
        while (!rest.empty()) {
            std::size_t slash = rest.find('/');
            std::string_view part = rest.substr(0, slash);
            if (!part.empty() && part != ".") {
                parts.push_back(part);
            }
            rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        }
        std::string token;
        if (parts.empty()) {
            token = "*";
        } else if (platform::staging_layout::is_day_name(parts.front())) {
            token = std::string(parts.front()) + (parts.size() == 1 ? "" : ":part");
        } else {
            continue;
        }
        bool seen = false;
        for (const std::string& existing : tokens) {
            seen = seen || existing == token;
        }
        if (!seen && tokens.size() < max_served) {
            tokens.push_back(std::move(token));
        }
    }
    return tokens;
}

std::string PullReceipt::address(std::string_view client) {
    if (client.empty() || client.size() > 45) {
        return "-";
    }
    for (char c : client) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != '.' && c != ':') {
            return "-";
        }
    }
    return std::string(client);
}

std::string PullReceipt::line(std::chrono::system_clock::time_point when, std::string_view client,
                              int status, const std::vector<std::string>& served) {
    std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm parts{};
    ::gmtime_r(&seconds, &parts);
    char time_text[32];
    std::strftime(time_text, sizeof time_text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    std::string text = "offstage-receipt/1 ";
    text += time_text;
    text += " client=" + address(client) + " status=" + std::to_string(status) + " served=";
    for (std::size_t i = 0; i < served.size(); ++i) {
        text += (i == 0 ? "" : ",") + served[i];
    }
    return text + "\n";
}

void PullReceipt::append(const std::filesystem::path& file, std::string_view line) {
    // Never created here: the deployment makes it (root, group-writable by the pull user). No
    // file, no receipts (`offstage-shell --check` warns). O_NONBLOCK: a FIFO planted at the
    // path must not hang the login; O_NOFOLLOW: a symlink must not turn the receipt into a
    // write to another file.
    platform::UniqueFd fd(
        ::open(file.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK));
    if (!fd) {
        if (errno == ENOENT) {
            return;
        }
        fail(errno, file, "open");
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        fail(errno, file, "stat");
    }
    if (!S_ISREG(info.st_mode)) {
        fail(EINVAL, file, "not a regular file");
    }
    // Bounded: the import holds the lock for a catalog transaction, never for long; a lock
    // held past lock_wait costs this receipt, not the provider's session.
    auto deadline = std::chrono::steady_clock::now() + lock_wait;
    while (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            fail(errno, file, "lock");
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            fail(EWOULDBLOCK, file, "still locked after 10 s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (::fstat(fd.get(), &info) != 0) {
        fail(errno, file, "stat");
    }
    if (static_cast<std::size_t>(info.st_size) + line.size() > max_file_bytes) {
        fail(EFBIG, file,
             "full (" + std::to_string(info.st_size) + " bytes, at most " +
                 std::to_string(max_file_bytes) + "): nothing imported it; receipt lost");
    }
    ssize_t written = ::write(fd.get(), line.data(), line.size());
    if (written < 0) {
        fail(errno, file, "write");
    }
    if (static_cast<std::size_t>(written) != line.size()) {
        fail(EIO, file, "short write");
    }
}

} // namespace offstage::forced_shell
