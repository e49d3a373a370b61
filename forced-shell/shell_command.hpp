// A provider's command, split and checked: either `backup` (the exact word, no arguments) or
// a read-only rsync pull. parse() is the whole validator the fuzzer drives; rsync_argv() turns
// a checked pull into the argv offstage-shell executes.
#pragma once

#include "forced-shell/rsync_server_args.hpp"
#include "forced-shell/staging_root.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::forced_shell {

class ShellCommand {
public:
    enum class Kind { backup, rsync };

    // The first rsync with --confine-root, which rsync_argv() always passes: what
    // debian/control depends on and what --check requires (an older rsync fails every pull).
    static constexpr std::string_view minimum_rsync_version = "3.5.0";

    // Throws Refusal with a one-line reason.
    static ShellCommand parse(std::string_view command);

    Kind kind() const { return kind_; }
    // Only for Kind::rsync.
    const RsyncServerArgs& rsync() const { return *rsync_; }

    // `RSYNC --server --sender CLUSTER OPTION... --confine-root=ROOT -- . PINNED...`, with the
    // paths resolved and held by `root` (throws Refusal for a path that fails on disk).
    std::vector<std::string> rsync_argv(const std::filesystem::path& rsync,
                                        StagingRoot& root) const;

private:
    Kind kind_ = Kind::backup;
    std::optional<RsyncServerArgs> rsync_;
};

} // namespace offstage::forced_shell
