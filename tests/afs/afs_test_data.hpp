// The recorded vos outputs and volume dumps of tests/afs/data (see its README.md).
#pragma once

#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <string>

namespace offstage::test {

inline std::filesystem::path afs_data(const std::string& name) {
    return std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "tests/afs/data" / name;
}

// A recorded transcript without its "$ vos ..." command lines and "rc=N" status lines: what vos
// printed.
inline std::string vos_output_of(const std::string& transcript) {
    std::string output;
    std::size_t begin = 0;
    while (begin < transcript.size()) {
        std::size_t end = transcript.find('\n', begin);
        end = end == std::string::npos ? transcript.size() : end + 1;
        std::string line = transcript.substr(begin, end - begin);
        if (!line.starts_with("$ ") && !line.starts_with("rc=")) {
            output += line;
        }
        begin = end;
    }
    return output;
}

// The recorded dump of user.bob (a volume with content) and of web.hcoop.backup, as bytes.
inline std::string bob_dump() {
    return read_file(afs_data("sample_user.bob.vosdump"));
}
inline std::string hcoop_dump() {
    CommandResult unzipped =
        run_command({"gzip", "-dc", afs_data("sample_web.hcoop.backup.vosdump.gz").string()});
    return unzipped.out;
}

} // namespace offstage::test
