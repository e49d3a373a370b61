// docs/forced-shell.md repeats the rsync option allow-list for the admin who reviews it. The
// code's table is the one that decides; this test keeps the document's copy identical to it,
// row for row and in the same order, so that a reviewer never reads a stale list.
#include "forced-shell/rsync_option_table.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace offstage::forced_shell {
namespace {

// A markdown table cell: `|` inside a cell is written `\|`.
std::string escape_cell(std::string_view text) {
    std::string cell;
    for (char c : text) {
        if (c == '|') {
            cell += '\\';
        }
        cell += c;
    }
    return cell;
}

std::string code(std::string_view text) {
    return "`" + escape_cell(text) + "`";
}

// The row as docs/forced-shell.md writes it.
std::string documented_row(const RsyncOption& option) {
    std::string letter = option.letter != 0 ? code(std::string("-") + option.letter) : "";
    std::string name = option.long_name.empty() ? "" : code("--" + std::string(option.long_name));
    std::string value = !option.takes_value                               ? "no"
                        : option.verdict == RsyncOption::Verdict::refused ? "yes"
                                                                          : code(option.pattern);
    std::string verdict =
        option.verdict == RsyncOption::Verdict::allowed ? "allowed" : "**refused**";
    return "| " + letter + " | " + name + " | " + value + " | " + verdict + " | " +
           escape_cell(option.why) + " |";
}

// The body rows of the table headed "| letter | long name | ...".
std::vector<std::string> table_in_document() {
    std::ifstream doc(std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "docs" / "forced-shell.md");
    std::vector<std::string> rows;
    std::string line;
    bool in_table = false;
    while (std::getline(doc, line)) {
        if (line.rfind("| letter | long name |", 0) == 0) {
            in_table = true;
            std::getline(doc, line); // the | --- | separator
            continue;
        }
        if (in_table) {
            if (line.rfind("|", 0) != 0) {
                break;
            }
            rows.push_back(line);
        }
    }
    return rows;
}

TEST(OptionTableDocument, ListsExactlyTheRowsOfTheCodeTable) {
    std::vector<std::string> documented = table_in_document();
    ASSERT_FALSE(documented.empty()) << "no option table found in docs/forced-shell.md";
    std::vector<std::string> expected;
    for (const RsyncOption& option : RsyncOptionTable::rows()) {
        expected.push_back(documented_row(option));
    }
    for (std::size_t i = 0; i < std::max(documented.size(), expected.size()); ++i) {
        EXPECT_EQ(i < documented.size() ? documented[i] : "(missing)",
                  i < expected.size() ? expected[i] : "(not in the code)")
            << "row " << i + 1 << " of the table in docs/forced-shell.md";
    }
}

} // namespace
} // namespace offstage::forced_shell
