// A throwaway OpenAFS cell for tests: vlserver, ptserver, fileserver and volserver from Debian's
// openafs packages, no kernel module, no bosserver, in a private network namespace (ubik and vos
// refuse 127.x addresses, so the cell lives on a non-loopback /32 on the namespace's own `lo`,
// which nothing outside can reach). Ready in about 10 s; stopped and cleaned up on destruction,
// also when the test failed, and by a watchdog when the test process is killed or aborts. One cell
// per machine at a time (fixed UDP ports 7000-7007, the compiled-in /var/lib/openafs/local, the
// partition /vicepz at the root): a lock file serialises test binaries that start one.
#pragma once

#include "stager/drill/scratch_watchdog.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace offstage::test {

class AfsCell {
public:
    // Why this machine cannot start a cell (not root, no network namespaces, no OpenAFS server
    // binaries), or nullopt when it can.
    static std::optional<std::string> unavailable();

    // Starts the cell; throws std::runtime_error naming what did not come up (with its log).
    AfsCell();
    ~AfsCell();
    AfsCell(const AfsCell&) = delete;
    AfsCell& operator=(const AfsCell&) = delete;

    const std::string& address() const { return address_; } // the file server, as vos takes it
    std::string partition() const { return "/vicepz"; }
    std::filesystem::path config_dir() const { return dir_ / "etc"; } // vos -config

    // Runs argv inside the cell's network namespace.
    CommandResult run(std::vector<std::string> argv,
                      std::chrono::seconds timeout = std::chrono::seconds(120)) const;
    // `vos ARGS -localauth -config DIR` inside the namespace.
    CommandResult vos(std::vector<std::string> arguments) const;
    // The same, failing the test (ADD_FAILURE, returns "") when vos exits non-zero.
    std::string vos_ok(const std::vector<std::string>& arguments) const;

private:
    void start();
    void stop() noexcept;
    void daemon(const std::string& name, std::vector<std::string> argv);

    TempDir dir_{"offstage-afs-cell"};
    std::string address_ = "10.254.254.1";
    int lock_fd_ = -1;
    pid_t namespace_pid_ = -1;
    std::vector<std::pair<std::string, pid_t>> daemons_;
    // Ends the daemons and removes dir_ should the test process die without stopping the cell.
    std::optional<drill::ScratchWatchdog> watchdog_;
};

} // namespace offstage::test
