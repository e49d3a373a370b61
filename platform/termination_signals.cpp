#include "platform/termination_signals.hpp"

#include <array>
#include <atomic>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <signal.h>
#include <stdexcept>
#include <string>
#include <unistd.h>

namespace offstage::platform {

namespace {

constexpr std::array termination_signals = {SIGHUP, SIGINT, SIGTERM, SIGPIPE};

// One temporary file per output is all offstage needs; the table is fixed so that the handler
// never sees memory being allocated or moved.
constexpr std::size_t slot_count = 64;

enum SlotState : int {
    free_slot, // nobody's: a registration may claim it
    filling,   // claimed by a registration that is writing the name: the handler skips it
    armed,     // the handler unlinks the file
    unlinking, // the handler claimed it: never reused, the process is dying
};

struct Slot {
    std::atomic<int> state{free_slot};
    int directory_fd = -1;
    char name[NAME_MAX + 1] = {};
};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs lock-free atomics");

Slot slots[slot_count];

// The process that installed the handler. A child forked by another library (Boost.Process
// forks before it execs) inherits the handler and the table until exec: it must not remove the
// parent's files.
std::atomic<pid_t> installer{0};

extern "C" void remove_registered_files(int signal) {
    if (::getpid() == installer.load()) {
        for (Slot& slot : slots) {
            int expected = armed;
            if (slot.state.compare_exchange_strong(expected, unlinking)) {
                ::unlinkat(slot.directory_fd, slot.name, 0);
            }
        }
    }
    // Die of the signal itself: it stays blocked in this thread until the handler returns, and
    // then its default action ends the whole process.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    ::sigaction(signal, &default_action, nullptr);
    ::raise(signal);
}

} // namespace

void install_termination_cleanup() {
    installer.store(::getpid());
    struct sigaction action {};
    action.sa_handler = remove_registered_files;
    sigemptyset(&action.sa_mask);
    for (int signal : termination_signals) { // one handler at a time per thread
        sigaddset(&action.sa_mask, signal);
    }
    for (int signal : termination_signals) {
        struct sigaction current {};
        if (::sigaction(signal, nullptr, &current) == 0 && current.sa_handler != SIG_IGN) {
            ::sigaction(signal, &action, nullptr);
        }
    }
}

RemovedOnTermination::RemovedOnTermination(int directory_fd, std::string_view name) {
    if (name.empty() || name.size() > NAME_MAX) {
        throw std::length_error("a temporary file name of " + std::to_string(name.size()) +
                                " bytes cannot be registered for removal on termination");
    }
    for (std::size_t index = 0; index < slot_count; ++index) {
        int expected = free_slot;
        if (slots[index].state.compare_exchange_strong(expected, filling)) {
            slots[index].directory_fd = directory_fd;
            std::memcpy(slots[index].name, name.data(), name.size());
            slots[index].name[name.size()] = '\0';
            slots[index].state.store(armed);
            slot_ = static_cast<int>(index);
            return;
        }
    }
    throw std::runtime_error("more than " + std::to_string(slot_count) +
                             " temporary files at once: no slot left to remove them on a signal");
}

RemovedOnTermination::~RemovedOnTermination() {
    // If the handler already claimed the slot (unlinking), it keeps it: the process is dying.
    int expected = armed;
    slots[slot_].state.compare_exchange_strong(expected, free_slot);
}

} // namespace offstage::platform
