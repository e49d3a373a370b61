// `offstage run` (the built binary) on the tiny dpkg root with a test's extra config sections
// (the database sources), and a drill context over a published day, for the database tests.
#pragma once

#include "stager/age/identity.hpp"
#include "stager/drill/drill.hpp"
#include "stager/restore/day_directory.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace offstage::test {

class DumpRun {
public:
    DumpRun();
    TempDir dir{"offstage-dbrun"};
    std::filesystem::path staging;
    std::filesystem::path identity_file;
    age::X25519Identity identity = age::X25519Identity::generate();

    // offstage.toml with the tiny root, no mail, and `extra` appended.
    void write_config(const std::string& extra) const;
    CommandResult run(const std::string& day) const;
    std::filesystem::path day(const std::string& day) const { return staging / day; }
    // The decrypted bytes of an artifact of a published day (stock age; zstd -dc when ".zst").
    std::string decrypt(const std::filesystem::path& artifact) const;
    ino_t inode(const std::filesystem::path& path) const;
};

// A drill context over a day directory (published or a work dir), its scratch directory kept.
struct DrillDay {
    explicit DrillDay(const std::filesystem::path& day, const age::X25519Identity& identity);
    restore::DayDirectory directory;
    std::vector<age::X25519Identity> identities;
    TempDir scratch{"offstage-drill"};
    drill::DrillContext context() const;
};

} // namespace offstage::test
