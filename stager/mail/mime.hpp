// The few pieces of MIME the mail needs (RFC 5322, 2045, 2047), written out so a reviewer can
// check each against its RFC: header values that cannot leave their line, encoded words for a
// Subject that is not ASCII, quoted-printable for the body.
#pragma once

#include <string>
#include <string_view>

namespace offstage::mail::mime {

// `value` with CR, LF, every other C0 control and DEL replaced by a space: whatever a host name,
// a day or an address holds, it stays inside its header line and cannot start a new header.
std::string header_safe(std::string_view value);

// "NAME: VALUE" for an unstructured header (Subject), without a trailing newline. Printable
// ASCII is written as is, folded at spaces to keep lines within 78 characters; anything else is
// written whole as RFC 2047 encoded words ("=?UTF-8?B?...?=", each within 75 characters, one per
// line, never splitting a character). `value` must be valid UTF-8 without control characters
// (printable_name's output is); header_safe() is applied all the same.
std::string unstructured_header(std::string_view name, std::string_view value);

// `text` (UTF-8, lines ending in '\n') as quoted-printable (RFC 2045 6.7): lines within 76
// characters (soft breaks "=" where longer), '=', tabs, controls and every byte from 0x7f up
// encoded as =XX, white space at a line's end encoded; and at the start of every written line a
// "From " or a "." is encoded too ("=46rom ", "=2E"), so an mbox delivery (which turns "From "
// into ">From ") or an SMTP hop cannot alter the body.
std::string quoted_printable(std::string_view text);

// Standard base64 (RFC 4648, padded).
std::string base64(std::string_view bytes);

} // namespace offstage::mail::mime
