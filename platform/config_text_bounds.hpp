// The bounds of config_limits.hpp checked on the raw text of a TOML file, before toml++ parses
// it: toml++ creates, and later frees, one nested table per dotted part of a header or key by
// recursion, so a header of 300000 parts overflows the stack (ASan: at 20000). A small lexer
// walks the text as TOML 1.0 does (the four kinds of strings, comments, arrays, inline tables)
// and measures how deep each value sits. Text that is not TOML stops the walk there: toml++
// stops at the same place with its own, better, message.
#pragma once

#include <string_view>

namespace offstage::platform {

// Throws ConfigError "NAME:LINE:COL: ..." when `text` is larger than max_config_bytes or holds
// a value nested deeper than max_config_depth.
void check_config_text_bounds(std::string_view text, std::string_view source_name);

} // namespace offstage::platform
