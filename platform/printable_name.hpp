// A name from outside (a path, an archive entry's name: bytes in no known encoding) made safe
// to show on a terminal or in a log: nothing in it can move the cursor, clear the screen, set
// the window title or reorder the text around it. Every message that shows such a name goes
// through printable_name().
#pragma once

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

} // namespace offstage::platform
