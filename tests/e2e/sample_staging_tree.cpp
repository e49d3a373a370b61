#include "tests/e2e/sample_staging_tree.hpp"

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace offstage::e2e {

namespace {

namespace fs = std::filesystem;

// Incompressible, reproducible bytes (xorshift64*): a transfer bug cannot hide behind
// runs of zeros, and a failing test shows the same data on every run.
std::string pseudo_random_bytes(std::size_t size, std::uint64_t seed) {
    std::string bytes;
    bytes.reserve(size);
    std::uint64_t state = seed | 1U;
    while (bytes.size() < size) {
        state ^= state >> 12U;
        state ^= state << 25U;
        state ^= state >> 27U;
        std::uint64_t value = state * 0x2545F4914F6CDD1DULL;
        for (int i = 0; i < 8 && bytes.size() < size; ++i) {
            bytes.push_back(static_cast<char>(value & 0xffU));
            value >>= 8U;
        }
    }
    return bytes;
}

} // namespace

void SampleStagingTree::write(const fs::path& root, const fs::path& outside) {
    const fs::path day_dir = root / day;
    using test::write_file;
    write_file(day_dir / "report.json",
               "{\"status\": \"ok\", \"date\": \"2026-11-22\", \"artifacts\": 9}\n");
    write_file(day_dir / large_artifact(), pseudo_random_bytes(large_size, 1));
    write_file(day_dir / "system.tar.zst.age", pseudo_random_bytes(70'000, 2));
    write_file(day_dir / name_with_spaces(), pseudo_random_bytes(5'000, 3));
    write_file(day_dir / "db" / "postgresql" / "16" / "main" / "globals.sql.zst.age",
               pseudo_random_bytes(1'234, 4));
    write_file(day_dir / "db" / "postgresql" / "16" / "main" / "wiki.pgdump.zst.age",
               pseudo_random_bytes(200'000, 5));
    write_file(day_dir / "db" / "sqlite" / "catalog.sqlite.zst.age", pseudo_random_bytes(8'192, 6),
               fs::perms(0600));
    write_file(day_dir / "afs" / "user.alice.vosdump.zst.age", pseudo_random_bytes(65'536, 7));
    write_file(day_dir / "afs" / "empty.vosdump.zst.age", "");
    write_file(day_dir / "extra" / non_utf8_name(), "a name that is not UTF-8\n");

    // sha256sum format, written by sha256sum itself, so that `sha256sum -c` in the pulled
    // copy proves the bytes arrived.
    std::vector<std::string> argv{"sha256sum", "--"};
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(day_dir)) {
        if (entry.is_regular_file() && entry.path().filename() != "SHA256SUMS") {
            names.push_back(entry.path().lexically_relative(day_dir).string());
        }
    }
    std::sort(names.begin(), names.end());
    argv.insert(argv.end(), names.begin(), names.end());
    test::CommandOptions options;
    options.working_directory = day_dir;
    test::CommandResult sums = test::run_command(argv, options);
    if (sums.exit_status != 0) {
        throw std::runtime_error("sha256sum in " + day_dir.string() + " exited with " +
                                 std::to_string(sums.exit_status) + ": " + sums.err);
    }
    write_file(day_dir / "SHA256SUMS", sums.out);

    write_file(root / work_dir / large_artifact(), pseudo_random_bytes(4'096, 8));
    write_file(outside / secret_name, secret_content, fs::perms(0600));
    fs::create_directory_symlink(fs::absolute(outside), day_dir / link_out);
}

} // namespace offstage::e2e
