// What goes wrong while extracting, by how far it reaches:
// - UnsafeTargetError: the directory to extract into is not safe to write into (a symlink,
//   another user's, world-writable): nothing is extracted.
// - UnsafeEntryError: the archive holds an entry that would land outside the target or
//   exceeds the extractor's limits: not something offstage writes, so the archive is not
//   trusted further and the extraction stops.
// - EntryNotExtracted: one entry (or part of its metadata) cannot be restored here (a symlink
//   or a file in the way, a permission): it is reported and the extraction goes on.
// - std::system_error from throw_entry_error: the disk itself fails (full, read-only, I/O
//   error): the extraction stops.
#pragma once

#include "platform/system_error.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace offstage::archive {

class UnsafeTargetError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class UnsafeEntryError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class EntryNotExtracted : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Errors after which the next entry would fail the same way: continuing would only bury the
// cause under one report per remaining entry.
inline bool disk_cannot_continue(int error) {
    return error == ENOSPC || error == EDQUOT || error == EIO || error == EROFS ||
           error == ENOMEM || error == EMFILE || error == ENFILE;
}

// Throws for `error` from an operation described by `what` (which names the entry, quoted).
[[noreturn]] inline void throw_entry_error(int error, const std::string& what) {
    if (disk_cannot_continue(error)) {
        platform::throw_errno(error, what);
    }
    throw EntryNotExtracted(what + ": " + std::strerror(error));
}

} // namespace offstage::archive
