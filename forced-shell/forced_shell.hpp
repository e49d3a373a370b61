// offstage-shell from start to exit status: decide the mode, load the config, check the
// command, log the decision, run the one allowed child. Refusals print one line on stderr and
// nothing on stdout; see exit_status.hpp for the statuses.
#pragma once

#include <span>

namespace offstage::forced_shell {

class ForcedShell {
public:
    // `environment` lookups use getenv() (SSH_ORIGINAL_COMMAND, SSH_CONNECTION).
    static int main(std::span<const char* const> argv);
};

} // namespace offstage::forced_shell
