// The exit statuses of `offstage`, documented in docs/offstage.8 and stable across releases:
// scripts and the forced shell's caller act on them.
#pragma once

#include <stdexcept>
#include <string>

namespace offstage::cli {

enum ExitStatus : int {
    success = 0,
    failure = 1,         // an operation failed (I/O, a child command); the message says which
    usage_error = 2,     // the command line is wrong
    config_error = 3,    // offstage.toml or a policy file is invalid (file:line in the message)
    integrity_error = 4, // decryption or verification failed: wrong key, tampered or truncated
    partial = 5,         // done, but some inputs were reported (vanished, changed, unreadable);
                         // for `run`: published, some source degraded or failed
    mail_failed = 6,     // `run`: published, but the admins' mail could not be sent (kept)
    drill_mismatch = 7,  // `drill`: a restored dump does not match its fingerprint
    busy = 75,           // another run holds the lock (EX_TEMPFAIL)
};

// Thrown by a command to end with `status` after printing `message` (if non-empty) on stderr.
class CommandFailure : public std::runtime_error {
public:
    CommandFailure(ExitStatus status, const std::string& message)
        : std::runtime_error(message)
        , status_(status) {}
    ExitStatus status() const { return status_; }

private:
    ExitStatus status_;
};

} // namespace offstage::cli
