// Thrown when the provider's command is not allowed. The message is one short line that is safe
// to print: it never contains more than a capped, escaped excerpt of the untrusted input.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace offstage::forced_shell {

class Refusal : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// At most `limit` bytes of `text`, printable ASCII kept, everything else (and `"`, `\`) as
// \xHH, with "..." when cut: how untrusted bytes appear in messages and logs.
std::string escape_excerpt(std::string_view text, std::size_t limit = 64);

} // namespace offstage::forced_shell
