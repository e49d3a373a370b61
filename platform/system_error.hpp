// Errors that carry their context: which call failed, on which file, with which errno.
#pragma once

#include <cerrno>
#include <string>
#include <system_error>

namespace offstage::platform {

// Throws std::system_error for the current errno; `what` names the call and its object,
// e.g. "open /etc/offstage/offstage.toml".
[[noreturn]] inline void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), what);
}

[[noreturn]] inline void throw_errno(int error, const std::string& what) {
    throw std::system_error(error, std::generic_category(), what);
}

} // namespace offstage::platform
