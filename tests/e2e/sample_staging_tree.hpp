// A hand-made staging root for the tests of the forced shell's path rules only: what `offstage
// run` never publishes but a shell must handle anyway (a name with spaces, a name with non-UTF-8
// bytes, nested directories, an empty file, a multi-megabyte file and a SHA256SUMS that checks
// them; beside it a .incoming dir inside the served root and a symlink pointing out of it).
// Deterministic content. Real trees come from the real `offstage run` (ShellDeployment's
// `backup`); this tree only gives the shell odd paths to refuse or pass.
#pragma once

#include <filesystem>
#include <string>

namespace offstage::e2e {

class SampleStagingTree {
public:
    // The one published day.
    static constexpr const char* day = "2026-11-22";
    // A run in progress: never to be pulled.
    static constexpr const char* work_dir = ".incoming-2026-11-23-x7Qk";
    // Inside the day, a symlink to `outside` (absolute): rsync must send it as a link only.
    static constexpr const char* link_out = "link-out";
    // The file in `outside` that must never reach a provider.
    static constexpr const char* secret_name = "secret.txt";
    static constexpr const char* secret_content = "outside the staging root: never pulled\n";

    // Writes the tree under `root` (created) and the secret under `outside` (created; must
    // not be below `root`).
    static void write(const std::filesystem::path& root, const std::filesystem::path& outside);

    // Names inside the day that the tests look for by name.
    static std::string name_with_spaces() { return "spool-mail queue.tar.zst.age"; }
    static std::string non_utf8_name() { return "notes-caf\xe9-\xff.txt"; }
    static std::string large_artifact() { return "files.tar.zst.age"; }
    static constexpr std::size_t large_size = 3 * 1024 * 1024 + 17;
};

} // namespace offstage::e2e
