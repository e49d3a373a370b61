// Files of age keys, one per line, as age-keygen writes them and `age -R`/`-i` read them: blank
// lines and '#' comments are skipped; every line read is wiped from memory after use, since
// identity files hold secrets. Errors name FILE:LINE, or the file and errno.
//
// A key file is small and ends: lines, the file and the number of keys are bounded (below), and
// what cannot be a key file (a directory, a block device, a character device other than a
// terminal, such as /dev/zero) is refused before anything is read. A pipe or FIFO is read, up
// to the bounds (`-i <(pass show backup-key)`, `key recipient` from standard input).
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string_view>

namespace offstage::age {

// An AGE-SECRET-KEY-1 line is 74 bytes, an age1 recipient 62, a plugin's a few hundred: 4 KiB
// leaves room for any key and any sensible comment.
inline constexpr std::size_t max_key_file_line = 4096; // bytes, without the '\n'
inline constexpr std::size_t max_key_file_size = 1024 * 1024;
inline constexpr std::size_t max_keys_per_file = 1024;

// Calls `parse_line` with each key line, trimmed of surrounding white space. An AgeError it
// throws is rethrown prefixed with "FILE:LINE: ". `kind` names the keys in messages
// ("identity", "recipient"). Throws AgeError when the file cannot be read, is not a file of
// keys (its type, or a bound above), or holds no key.
void read_key_file(const std::filesystem::path& path, std::string_view kind,
                   const std::function<void(std::string_view)>& parse_line);

// `text` without leading and trailing white space.
std::string_view trim_white_space(std::string_view text);

} // namespace offstage::age
