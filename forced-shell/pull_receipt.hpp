// A receipt of a successful pull (docs/forced-shell.md, "Receipts"): one line appended to
// [shell] receipts_file when an allowed rsync that transferred (not a dry run, not a listing)
// ended with status 0. `offstage` imports the lines into its catalog and empties the file.
// Every field is made here from checked values (this host's clock, an address of the form sshd
// writes, day names that match the day grammar), so nothing the peer sent is written raw; the
// file never grows past max_file_bytes.
#pragma once

#include "forced-shell/rsync_server_args.hpp"

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::forced_shell {

class PullReceipt {
public:
    // The file's bound: about 13000 receipts. A full file loses new receipts (said on stderr
    // and to syslog) until the next import empties it; a missed pull is then reported, which
    // is the safe side.
    static constexpr std::size_t max_file_bytes = 1 << 20;
    // At most this many served days per receipt (a pull names at most 256 paths).
    static constexpr std::size_t max_served = 16;
    // How long append() waits for the import's lock before giving up on the receipt.
    static constexpr std::chrono::milliseconds lock_wait{10000};

    // Whether a pull with these arguments transfers files: a dry run (-n, --dry-run) and
    // --list-only do not, and leave no receipt.
    static bool transfers(const RsyncServerArgs& args);

    // What the pull's paths (RsyncServerArgs::paths()) served: "*" for the staging root itself,
    // "DAY" for a day's directory, "DAY:part" for something below it. A path whose first
    // component is no day name leaves nothing. Distinct, in order, at most max_served.
    static std::vector<std::string> served(const std::vector<std::string>& paths);

    // The address for a receipt: `client` when it is an IPv4 or IPv6 address as sshd writes it
    // (hex digits, '.', ':', at most 45 bytes), else "-".
    static std::string address(std::string_view client);

    // "offstage-receipt/1 2026-11-22T05:00:09Z client=192.0.2.7 status=0 served=2026-11-22\n"
    static std::string line(std::chrono::system_clock::time_point when, std::string_view client,
                            int status, const std::vector<std::string>& served);

    // Appends `line` with one write() under an exclusive flock (the import holds it while it
    // reads and empties the file); does nothing when the file does not exist (it is never
    // created here). Throws std::system_error naming the file: not a regular file (a symlink
    // is not followed), full, locked past lock_wait, a failed write.
    static void append(const std::filesystem::path& file, std::string_view line);
};

} // namespace offstage::forced_shell
