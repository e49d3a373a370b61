// Annoying files grouped the way an admin decides about them: by the directory of the one
// program or person that made them (963 files under /var/lib/foo/ are one group), for the mail,
// the status page and `offstage policy suggest`. A pure function of the paths: no file is read.
//
// A file's group is the directory one level below its deepest *shared* ancestor: a directory
// many packages and programs put things in (/etc, /var/lib, /usr/local/bin, ...; the table in
// annoying_groups.cpp). /var/lib/foo/data/x/1 groups under /var/lib/foo/; /etc/foo.conf, right
// inside a shared directory, is a group of its own; so is a group that holds one file (accepting
// it names the file, the narrowest rule).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::report {

struct AnnoyingGroup {
    // The directory with a trailing '/' (the tree pattern `offstage policy accept` writes for
    // it), or the one file's path. Raw bytes: show it through printable_name().
    std::string path;
    bool directory = false;
    std::size_t files = 0;     // annoying files in it
    std::size_t new_files = 0; // of them, new since the last run
    bool is_new() const { return new_files > 0; }
};

// The groups of `annoying` (absolute paths, any order); `new_files` marks which are new (any
// order; paths not in `annoying` are ignored). New groups first, then by files (most first),
// then by path in byte order. O(n log n) in the paths.
std::vector<AnnoyingGroup> group_annoying_files(const std::vector<std::string>& annoying,
                                                const std::vector<std::string>& new_files = {});

// The group a single annoying path belongs to: "/var/lib/foo/" or the path itself.
std::string annoying_group_of(std::string_view path);

// Whether `directory` (absolute, no trailing '/') is a shared directory of the table.
bool is_shared_directory(std::string_view directory);

// `path` as one word of a shell command line that gives back exactly its bytes: as is when it
// holds only [A-Za-z0-9/._+,:@%=-]; in single quotes when every byte is printable ASCII and no
// quote; otherwise bash's $'...' with \NNN octal escapes for every other byte (bash, zsh, ksh
// and busybox sh read it).
std::string shell_quoted(std::string_view path);

// The one command that accepts `group`: "offstage policy accept /var/lib/foo/ --as expect",
// with "--config FILE" after "offstage" when `config_path` is not empty.
std::string accept_command(const AnnoyingGroup& group, std::string_view verdict = "expect",
                           std::string_view config_path = {});

} // namespace offstage::report
