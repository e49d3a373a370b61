// The exit statuses of `offstage-shell`, from sysexits.h so that a provider's script can tell
// a refusal from a busy host from a broken deployment. Documented in docs/offstage-shell.8 and
// stable across releases; any other status is the child's own (rsync's or the backup's).
#pragma once

namespace offstage::forced_shell {

enum ExitStatus : int {
    success = 0,
    usage_error = 64, // EX_USAGE: offstage-shell's own command line (set by the admin) is wrong
    os_error = 71,    // EX_OSERR: cannot fork, exec, open the staging root or take the lock
    busy = 75,        // EX_TEMPFAIL: another `backup` is running and backup_wait is false
    refused = 77,     // EX_NOPERM: the command is not allowed
    config_error = 78 // EX_CONFIG: the configuration file is missing or invalid
};

} // namespace offstage::forced_shell
