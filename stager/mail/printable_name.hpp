// A name from outside (a path: bytes in no known encoding) made safe to show in the mail: nothing
// in it can end a header line, reorder the text around it or hide what follows. Every file name,
// host name and child message the mail shows goes through printable_name().
// The same behaviour as platform/printable_name (written for the extract code on another branch;
// the lead will keep one of the two).
#pragma once

#include <string>
#include <string_view>

namespace offstage::mail {

// Printable ASCII and valid UTF-8 characters pass unchanged. Escaped, as a backslash and three
// octal digits ("\033" for ESC, "\377" for a stray 0xff byte, "\012" for a newline): C0
// controls, DEL, the C1 controls (U+0080..U+009F), the Unicode direction controls (U+200E,
// U+200F, U+202A..U+202E, U+2066..U+2069, U+061C), line and paragraph separators (U+2028,
// U+2029) and every byte that is not part of a valid UTF-8 sequence. A backslash itself becomes
// "\\", so the text reads back unambiguously. The result is valid UTF-8 without a control byte.
std::string printable_name(std::string_view name);

} // namespace offstage::mail
