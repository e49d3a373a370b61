// A name from outside (a path, an archive entry's name, a config key: bytes in no known
// encoding) made safe to show on a terminal, in a log or a mail: nothing in it can move the
// cursor, clear the screen, set the window title or reorder the text around it. This is the one
// way offstage prints a hostile name (the forced shell's decision log has its own documented
// encoding; `offstage scan`'s text and JSON outputs are reversible formats of their own).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace offstage::platform {

// Printable ASCII and valid UTF-8 characters pass unchanged. Escaped, as a backslash and three
// octal digits ("\033" for ESC, "\377" for a stray 0xff byte): C0 controls, DEL, the C1
// controls (U+0080..U+009F), the Unicode direction controls (U+200E, U+200F, U+202A..U+202E,
// U+2066..U+2069, U+061C), line and paragraph separators (U+2028, U+2029) and every byte that
// is not part of a valid UTF-8 sequence. A backslash itself becomes "\\", so the text reads back
// unambiguously.
std::string printable_name(std::string_view name);

// The same for at most the first `limit` bytes of `name` (cut before a UTF-8 sequence that
// would not fit whole), then "..." when something was cut: for a value echoed in an error.
std::string printable_name(std::string_view name, std::size_t limit);

// The same escapes for a whole message that may already hold names made printable (an
// exception's text): a backslash is kept as it is, so a "\033" already in it is not doubled.
// Readable, not reversible.
std::string printable_message(std::string_view text);

} // namespace offstage::platform
