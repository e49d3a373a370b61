// docs/offstage.toml.5 documents the key table for the admin. The code's table is the one that
// decides; this test keeps the page's sections and keys identical to it, in the same order, and
// its stated bounds equal to the code's.
#include "platform/config_limits.hpp"
#include "platform/config_schema.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sstream>
#include <string>
#include <vector>

namespace offstage::platform {
namespace {

// "[section] key" for every key the page documents: a `.TP` followed by `.B key` under a
// `.SH [section]` (or `.SH [[section]]`) heading.
std::vector<std::string> documented_keys(const std::string& page) {
    std::vector<std::string> keys;
    std::istringstream lines(page);
    std::string line;
    std::string section;
    bool after_tp = false;
    while (std::getline(lines, line)) {
        if (line.starts_with(".SH ")) {
            std::string heading = line.substr(4);
            section = heading.starts_with("[") ? heading : "";
            if (!section.empty()) {
                keys.push_back(section);
            }
        } else if (after_tp && !section.empty() && line.starts_with(".B ")) {
            keys.push_back(section + " " + line.substr(3));
        }
        after_tp = line == ".TP";
    }
    return keys;
}

TEST(ConfigDocument, TheManPageListsExactlyTheKeysOfTheTable) {
    std::string page =
        test::read_file(std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "docs" / "offstage.toml.5");
    std::vector<std::string> expected;
    for (const ConfigSection& section : offstage_config_schema().sections) {
        expected.push_back(section_label(section));
        for (const ConfigKey& key : section.keys) {
            expected.push_back(section_label(section) + " " + std::string(key.name));
        }
    }
    EXPECT_EQ(documented_keys(page), expected);
}

TEST(ConfigDocument, TheManPageStatesTheBoundsOfTheCode) {
    std::string page =
        test::read_file(std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "docs" / "offstage.toml.5");
    EXPECT_NE(page.find("at most " + std::to_string(max_config_bytes) + " bytes"),
              std::string::npos);
    EXPECT_NE(page.find("nested deeper than " + std::to_string(max_config_depth) + " levels"),
              std::string::npos);
    EXPECT_NE(page.find("At most " + std::to_string(threads_per_cpu) +
                        " per usable CPU and at most " + std::to_string(max_threads)),
              std::string::npos);
}

} // namespace
} // namespace offstage::platform
