// libFuzzer target over the forced shell's splitter and validator (ShellCommand::parse) and its
// path pinning (ShellCommand::rsync_argv against a real staging tree with hostile symlinks).
// Property, checked on every accepted input (abort on violation): the command is exactly
// `backup`, or the argv handed to rsync has every option in the allow-list table with a value
// matching its pattern, and every path inside the staging root, never in a .incoming* dir.
// Built as a libFuzzer binary with OFFSTAGE_FUZZ=ON, and otherwise as a replay of the seed
// corpus (replay_main.cpp) so that normal test runs exercise the same property.
#include "forced-shell/refusal.hpp"
#include "forced-shell/rsync_option_table.hpp"
#include "forced-shell/shell_command.hpp"
#include "forced-shell/staging_root.hpp"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits.h>
#include <stdlib.h>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace {

namespace fs = std::filesystem;
using offstage::forced_shell::Refusal;
using offstage::forced_shell::RsyncOption;
using offstage::forced_shell::RsyncOptionTable;
using offstage::forced_shell::ShellCommand;
using offstage::forced_shell::StagingRoot;

fs::path base;
fs::path root;

[[noreturn]] void violated(const std::string& what, const std::string& input) {
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input: %s\n", what.c_str(),
                 offstage::forced_shell::escape_excerpt(input, 4096).c_str());
    std::abort();
}

void write(const fs::path& path, const std::string& content) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << content;
}

// A staging tree with what an attacker would aim for: a symlink out (relative and absolute),
// a sibling whose name has the root as prefix, a work dir, a link into the work dir.
void make_tree() {
    char pattern[PATH_MAX];
    const char* tmp = std::getenv("TMPDIR");
    std::snprintf(pattern, sizeof pattern, "%s/offstage-fuzz-XXXXXX", tmp ? tmp : "/tmp");
    if (::mkdtemp(pattern) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
    }
    base = fs::canonical(pattern);
    root = base / "staging";
    write(root / "2026-11-22/files.tar.zst.age", "x");
    write(root / "2026-11-22/SHA256SUMS", "x");
    write(root / "2026-11-22/report.json", "x");
    write(root / "2026-11-22/my dir/a b", "x");
    write(root / ".incoming-2026-11-23-abcd/files.tar.zst.age", "x");
    write(base / "outside/secret", "x");
    write(base / "staging-evil/secret", "x");
    fs::create_directory_symlink("../outside", root / "escape");
    fs::create_directory_symlink("/etc", root / "etc-link");
    fs::create_directory_symlink("../staging-evil", root / "evil");
    fs::create_directory_symlink("2026-11-22", root / "latest");
    fs::create_directory_symlink(".incoming-2026-11-23-abcd", root / "sneaky");
    std::atexit([] {
        std::error_code ignored;
        fs::remove_all(base, ignored);
    });
}

bool inside_root(const std::string& real) {
    std::string top = root.string();
    return real == top || real.rfind(top + "/", 0) == 0;
}

void check_option(const std::string& word, const std::string& input) {
    const RsyncOption* row = nullptr;
    std::string value;
    bool has_value = false;
    if (word.rfind("--", 0) == 0) {
        std::string body = word.substr(2);
        std::size_t equals = body.find('=');
        row = RsyncOptionTable::find_long(body.substr(0, equals));
        if (equals != std::string::npos) {
            has_value = true;
            value = body.substr(equals + 1);
        }
    } else if (word.size() >= 2 && word[0] == '-') {
        row = RsyncOptionTable::find_letter(word[1]);
        has_value = row != nullptr && row->takes_value;
        value = word.substr(2);
    }
    if (row == nullptr || row->verdict != RsyncOption::Verdict::allowed) {
        violated("option not allowed by the table: " + word, input);
    }
    if (row->takes_value != has_value || (has_value && !row->accepts(value))) {
        violated("option value outside its pattern: " + word, input);
    }
}

void check_cluster(const std::string& cluster, const std::string& input) {
    if (cluster.size() < 2 || cluster[0] != '-' || cluster[1] == '-') {
        violated("no option cluster: " + cluster, input);
    }
    for (std::size_t i = 1; i < cluster.size() && cluster[i] != 'e'; ++i) {
        const RsyncOption* row = RsyncOptionTable::find_letter(cluster[i]);
        if (row == nullptr || row->verdict != RsyncOption::Verdict::allowed || row->takes_value) {
            violated(std::string("cluster letter not allowed: ") + cluster[i], input);
        }
    }
}

void check_path(const std::string& argument, const std::string& input) {
    if (argument == ".") {
        return; // the working directory, which is the held root
    }
    if (argument.rfind("/proc/self/fd/", 0) != 0) {
        violated("path not held by a descriptor: " + argument, input);
    }
    std::string rest = argument.substr(14);
    std::size_t slash = rest.find('/');
    std::string fd = rest.substr(0, slash);
    std::error_code error;
    fs::path held = fs::read_symlink("/proc/self/fd/" + fd, error);
    if (error || !inside_root(held.string())) {
        violated("held directory outside the root: " + held.string(), input);
    }
    std::string below = slash == std::string::npos ? "" : rest.substr(slash + 1);
    std::size_t position = 0;
    while (position <= below.size()) {
        std::size_t end = below.find('/', position);
        if (end == std::string::npos) {
            end = below.size();
        }
        std::string component = below.substr(position, end - position);
        if (component == ".." || component.rfind(".incoming", 0) == 0) {
            violated("path component " + component + " in " + argument, input);
        }
        position = end + 1;
    }
    // Where it leads now, following every symlink the way rsync's open would.
    char real[PATH_MAX];
    if (::realpath(argument.c_str(), real) != nullptr) {
        std::string resolved(real);
        if (!inside_root(resolved)) {
            violated("path resolves outside the root: " + resolved, input);
        }
        if (resolved.find("/.incoming") != std::string::npos) {
            violated("path resolves into a work dir: " + resolved, input);
        }
    }
}

void check(const std::string& input) {
    ShellCommand command = [&] { return ShellCommand::parse(input); }();
    if (command.kind() == ShellCommand::Kind::backup) {
        if (input != "backup") {
            violated("backup accepted in another spelling", input);
        }
        return;
    }
    StagingRoot staging(root);
    std::vector<std::string> argv = command.rsync_argv("/usr/bin/rsync", staging);
    if (argv.size() < 8 || argv[1] != "--server" || argv[2] != "--sender") {
        violated("argv does not start rsync --server --sender", input);
    }
    check_cluster(argv[3], input);
    std::size_t i = 4;
    for (; i < argv.size() && argv[i].rfind("--confine-root=", 0) != 0; ++i) {
        check_option(argv[i], input);
    }
    if (i + 4 > argv.size() || argv[i] != "--confine-root=" + root.string() ||
        argv[i + 1] != "--exclude=.incoming*" || argv[i + 2] != "--" || argv[i + 3] != ".") {
        violated("argv lacks the confinement, the -- or the .", input);
    }
    if (i + 4 == argv.size()) {
        violated("argv names no path", input);
    }
    for (i += 4; i < argv.size(); ++i) {
        check_path(argv[i], input);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    make_tree();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    try {
        check(input);
    } catch (const Refusal&) {
        // Refused: nothing runs, so there is nothing to check.
    } catch (const std::system_error& error) {
        // Only a kernel that cannot check (no openat2) may end here, and then nothing runs.
        violated(std::string("system error: ") + error.what(), input);
    }
    return 0;
}
