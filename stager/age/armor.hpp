// The constants of age's ASCII armor, shared by ArmorReader and ArmorWriter.
#pragma once

#include <cstddef>
#include <string_view>

namespace offstage::age::armor {

constexpr std::string_view begin_line = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view end_line = "-----END AGE ENCRYPTED FILE-----";
constexpr std::size_t columns = 64;        // base64 characters per line
constexpr std::size_t bytes_per_line = 48; // what a full line decodes to
constexpr std::size_t max_whitespace = 1024;

} // namespace offstage::age::armor
