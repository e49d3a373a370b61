// Names read from a day directory (a pulled copy may be hostile) are shown through printable():
// no control byte, DEL, non-ASCII byte or backslash reaches the terminal raw.
#pragma once

#include <string>
#include <string_view>

namespace offstage::restore {

// Bytes outside printable ASCII as \xNN, a backslash as \\ (so the escaping is unambiguous).
std::string printable(std::string_view bytes);

} // namespace offstage::restore
