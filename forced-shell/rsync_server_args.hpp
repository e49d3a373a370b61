// A checked `rsync --server --sender CLUSTER [OPTION...] . PATH...` command line: every option
// is in RsyncOptionTable with a value matching its pattern, and every path is lexically inside
// the staging root (no `..`, no `.incoming-*`). StagingRoot then resolves the paths on disk.
#pragma once

#include "forced-shell/command_words.hpp"

#include <string>
#include <vector>

namespace offstage::forced_shell {

class RsyncServerArgs {
public:
    // Throws Refusal naming the first word that is not allowed and why.
    static RsyncServerArgs parse(const CommandWords& words);

    // The option cluster as sent (e.g. "-logDtpre.iLsfxCIvu").
    const std::string& cluster() const { return cluster_; }
    // The other options, each normalized to one word ("--opt", "--opt=value", "-B8192").
    const std::vector<std::string>& options() const { return options_; }
    // The paths relative to the staging root: leading slashes removed, "" for the root itself;
    // a trailing "/" or "/." and a "/./" marker are kept (rsync gives them meaning).
    const std::vector<std::string>& paths() const { return paths_; }
    // Whether rsync will send path names relative (-R and no later --no-relative).
    bool relative() const { return relative_; }

private:
    std::string cluster_;
    std::vector<std::string> options_;
    std::vector<std::string> paths_;
    bool relative_ = false;
};

// Checks one path as the provider sent it and returns it relative to the staging root (see
// RsyncServerArgs::paths()). Throws Refusal for `..` and `.incoming*` components.
std::string relative_staging_path(const std::string& path);

} // namespace offstage::forced_shell
