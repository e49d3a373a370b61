// How offstage prints paths, which are bytes and not text. Both encodings are reversible and
// documented in docs/selection.md and offstage-scan(8).
#pragma once

#include <string>
#include <string_view>

namespace offstage::selection {

// For a terminal: valid UTF-8 without control characters is kept; a backslash becomes "\\",
// every control byte and every byte of an invalid UTF-8 sequence becomes "\xHH".
void append_text_escaped(std::string& out, std::string_view path);

// A JSON string literal (with quotes). Valid UTF-8 is kept (", \ and controls escaped as JSON
// requires); each byte of an invalid sequence becomes "\udcHH", a lone low surrogate: Python's
// "surrogateescape" convention, so os.fsencode(json.loads(s)) gives back the exact bytes.
void append_json_string(std::string& out, std::string_view path);

// The length of the valid UTF-8 sequence starting at `text[at]`, or 0 when it is invalid
// (overlong forms, surrogates and code points above U+10FFFF are invalid).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at);

} // namespace offstage::selection
