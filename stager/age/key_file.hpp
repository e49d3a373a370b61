// Files of age keys, one per line, as age-keygen writes them and `age -R`/`-i` read them: blank
// lines and '#' comments are skipped; every line read is wiped from memory after use, since
// identity files hold secrets. Errors name FILE:LINE, or the file and errno.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

namespace offstage::age {

// Calls `parse_line` with each key line, trimmed of surrounding white space. An AgeError it
// throws is rethrown prefixed with "FILE:LINE: ". `kind` names the keys in messages
// ("identity", "recipient"). Throws AgeError when the file cannot be read or holds no key.
void read_key_file(const std::filesystem::path& path, std::string_view kind,
                   const std::function<void(std::string_view)>& parse_line);

// `text` without leading and trailing white space.
std::string_view trim_white_space(std::string_view text);

} // namespace offstage::age
