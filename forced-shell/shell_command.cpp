#include "forced-shell/shell_command.hpp"

#include "forced-shell/command_words.hpp"
#include "forced-shell/refusal.hpp"
#include "platform/staging_layout.hpp"

namespace offstage::forced_shell {

namespace {

// More paths than this is not a pull of a staged day; the cap also bounds the descriptors
// held for rsync.
constexpr std::size_t max_paths = 256;

} // namespace

ShellCommand ShellCommand::parse(std::string_view command) {
    CommandWords words = CommandWords::split(command);
    ShellCommand result;
    // `backup` is matched on the raw bytes, so no escape, prefix or suffix can spell it.
    if (command == "backup") {
        result.kind_ = Kind::backup;
        return result;
    }
    if (words[0].text == "backup") {
        throw Refusal("backup takes no arguments");
    }
    result.kind_ = Kind::rsync;
    result.rsync_ = RsyncServerArgs::parse(words);
    if (result.rsync_->paths().size() > max_paths) {
        throw Refusal("more than " + std::to_string(max_paths) + " paths in one pull");
    }
    return result;
}

std::vector<std::string> ShellCommand::rsync_argv(const std::filesystem::path& rsync,
                                                  StagingRoot& root) const {
    const RsyncServerArgs& args = *rsync_;
    std::vector<std::string> argv{rsync.string(), "--server", "--sender", args.cluster()};
    argv.insert(argv.end(), args.options().begin(), args.options().end());
    // Filter rules travel inside the protocol, where no argv check sees them; rsync 3.5.0's
    // --confine-root keeps merge files and --files-from names inside the root.
    argv.push_back("--confine-root=" + root.real_path());
    // A run in progress is never served, not even inside a listing or a pull of the whole
    // root. Rules from the command line come before the ones the client sends in the
    // protocol, and the first matching rule wins, so a client's include cannot undo this. A
    // second fence only: a client can `clear` the filter list, so runs build outside the root.
    argv.push_back("--exclude=" + std::string(platform::staging_layout::work_dir_fence) + "*");
    // "--" so that no path can be read as an option.
    argv.push_back("--");
    argv.push_back(".");
    for (const std::string& path : args.paths()) {
        argv.push_back(root.pin(path, args.relative()));
    }
    return argv;
}

} // namespace offstage::forced_shell
