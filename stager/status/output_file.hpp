// A file of the status outputs (the page, the textfile) replaced atomically: written to a
// temporary file beside it, given its mode and group, synced, renamed over the old one. A
// reader (a web server, node_exporter) sees the old file or the new one, never half of one.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace offstage::status {

// Replaces `path` with `content`, mode `mode`, group `group` (nullopt: the process's). A
// target that exists and is not a regular file (a symlink included) is refused. Throws
// std::runtime_error naming the file and the failed step; the temporary file is removed.
void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode,
                  std::optional<gid_t> group);

// The group named `name` ([status] html_group); throws std::runtime_error when there is none.
gid_t group_named(const std::string& name);

} // namespace offstage::status
