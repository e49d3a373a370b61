#include "stager/drill/scratch_watchdog.hpp"

#include "platform/process_handle.hpp"
#include "platform/system_error.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <stdexcept>
#include <string>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace offstage::drill {

namespace {

// What the starter tells its watchdog, one datagram each (SOCK_SEQPACKET keeps them whole).
struct Request {
    enum Kind : int { watch = 1, all_done = 2 };
    int kind = 0;
    int first_signal = 0;
    int grace_ms = 0;
    int group = 0; // the process group the process leads (its pid), to signal whole; or 0
};

// The watchdog's whole life, in the forked child: async-signal-safe calls only.
[[noreturn]] void watch_until_the_starter_goes(int channel, char* const remove_argv[],
                                               const char* target) {
    // Nothing of the starter's but the channel: a pipe end kept here would hold some reader of
    // the starter's waiting for an end of file that never comes.
    int kept = ::fcntl(channel, F_DUPFD_CLOEXEC, 3);
    if (kept < 0) {
        ::_exit(70);
    }
    int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null_fd >= 0) {
        ::dup2(null_fd, 0);
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
    }
    if (kept > 3) {
        ::close_range(3, static_cast<unsigned>(kept) - 1, 0);
    }
    ::close_range(static_cast<unsigned>(kept) + 1, ~0U, 0);

    // Not the terminal's, not the starter's handlers (they remove the starter's temp files).
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    for (int signal : {SIGHUP, SIGINT, SIGTERM, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2}) {
        ::sigaction(signal, &ignore, nullptr);
    }
    struct sigaction by_default {};
    by_default.sa_handler = SIG_DFL;
    ::sigaction(SIGCHLD, &by_default, nullptr); // its remover is waited for
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::setsid();
    ::prctl(PR_SET_NAME, "offstage-watch", 0, 0, 0);

    struct Watched {
        int pidfd;
        pid_t group; // the process group it leads, or 0
        int first_signal;
        int grace_ms;
    };
    // A group is signalled only while its leader lives: a live leader's group id cannot have
    // been reused; once the leader has ended, its group is left alone (its members end with it:
    // mariadb-install-db waits for its bootstrap server).
    auto signal = [](const Watched& w, int signal_number) {
        if (w.group > 0 && !platform::pidfd_ended_within(w.pidfd, 0)) {
            ::kill(-w.group, signal_number);
        } else {
            platform::pidfd_send_signal(w.pidfd, signal_number);
        }
    };
    std::array<Watched, ScratchWatchdog::max_watched> watched{};
    std::size_t count = 0;
    while (true) {
        Request request;
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        iovec data{&request, sizeof request};
        msghdr message{};
        message.msg_iov = &data;
        message.msg_iovlen = 1;
        message.msg_control = control;
        message.msg_controllen = sizeof control;
        ssize_t got = ::recvmsg(kept, &message, MSG_CMSG_CLOEXEC);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break; // the starter is gone without a word
        }
        int pidfd = -1;
        cmsghdr* header = CMSG_FIRSTHDR(&message);
        if (header != nullptr && header->cmsg_level == SOL_SOCKET &&
            header->cmsg_type == SCM_RIGHTS) {
            std::memcpy(&pidfd, CMSG_DATA(header), sizeof pidfd);
        }
        if (request.kind == Request::all_done) {
            ::_exit(0);
        }
        if (pidfd >= 0 && count < watched.size()) {
            watched[count++] = {pidfd, request.group, request.first_signal, request.grace_ms};
        } else if (pidfd >= 0) {
            ::close(pidfd);
        }
    }
    for (std::size_t i = 0; i < count; ++i) {
        signal(watched[i], watched[i].first_signal);
    }
    for (std::size_t i = 0; i < count; ++i) {
        if (!platform::pidfd_ended_within(watched[i].pidfd, watched[i].grace_ms)) {
            signal(watched[i], SIGKILL);
            platform::pidfd_ended_within(watched[i].pidfd, 10'000);
        }
    }
    // A process of the starter's that nobody watched may still be writing there for a moment
    // (the bootstrap server of a mariadb-install-db killed half-way ends when its input does):
    // remove again until the directory is gone, for 30 s at most.
    char* const no_environment[] = {nullptr};
    for (int attempt = 0; attempt < 60; ++attempt) {
        pid_t remover = ::fork();
        if (remover == 0) {
            ::execve(remove_argv[0], remove_argv, no_environment);
            ::_exit(127);
        }
        int status = 0;
        while (remover > 0 && ::waitpid(remover, &status, 0) < 0 && errno == EINTR) {
        }
        struct stat left {};
        if (::lstat(target, &left) != 0 && errno == ENOENT) {
            ::_exit(0);
        }
        timespec pause{0, 500'000'000};
        ::nanosleep(&pause, nullptr);
    }
    ::_exit(71);
}

} // namespace

ScratchWatchdog::ScratchWatchdog(const std::filesystem::path& directory) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        platform::throw_errno("socketpair for the watchdog of " + directory.string());
    }
    platform::UniqueFd ours(ends[0]);
    platform::UniqueFd theirs(ends[1]);
    // Everything the child needs is made before the fork: it may not allocate.
    std::string rm = "/bin/rm";
    std::string recursive = "-rf";
    std::string one_file_system = "--one-file-system";
    std::string end_of_options = "--";
    std::string target = directory.string();
    char* const remove_argv[] = {
        rm.data(),     recursive.data(), one_file_system.data(), end_of_options.data(),
        target.data(), nullptr};
    pid_t child = ::fork();
    if (child < 0) {
        platform::throw_errno("fork the watchdog of " + directory.string());
    }
    if (child == 0) {
        ::close(ours.get());
        watch_until_the_starter_goes(theirs.get(), remove_argv, target.c_str());
    }
    pid_ = child;
    channel_ = std::move(ours);
}

ScratchWatchdog::~ScratchWatchdog() {
    Request done;
    done.kind = Request::all_done;
    // MSG_NOSIGNAL: a watchdog already gone must not kill us with SIGPIPE.
    (void)::send(channel_.get(), &done, sizeof done, MSG_NOSIGNAL);
    channel_.reset();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
}

void ScratchWatchdog::watch(const platform::ProcessHandle& server, int first_signal,
                            std::chrono::milliseconds grace) {
    send_watch(server, first_signal, grace, false);
}

void ScratchWatchdog::watch_group(const platform::ProcessHandle& leader, int signal) {
    send_watch(leader, signal, std::chrono::milliseconds(0), true);
}

void ScratchWatchdog::send_watch(const platform::ProcessHandle& server, int first_signal,
                                 std::chrono::milliseconds grace, bool whole_group) {
    if (watched_ == max_watched) {
        throw std::logic_error("a scratch watchdog watches at most " + std::to_string(max_watched) +
                               " processes");
    }
    Request request;
    request.kind = Request::watch;
    request.first_signal = first_signal;
    request.grace_ms = static_cast<int>(grace.count());
    request.group = whole_group ? server.pid() : 0;
    iovec data{&request, sizeof request};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &data;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    cmsghdr* header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    int fd = server.fd();
    std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
    if (::sendmsg(channel_.get(), &message, MSG_NOSIGNAL) < 0) {
        platform::throw_errno("tell the watchdog " + std::to_string(pid_) + " of server " +
                              std::to_string(server.pid()));
    }
    ++watched_;
}

} // namespace offstage::drill
