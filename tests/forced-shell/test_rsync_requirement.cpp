// offstage-shell passes --confine-root to every rsync it starts, so it needs an rsync that has
// the option (ShellCommand::minimum_rsync_version). The package must depend on that version,
// and the documents must name it: an older rsync installs fine and then fails every pull.
#include "forced-shell/shell_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <regex>
#include <string>

namespace offstage::forced_shell {
namespace {

const std::string source_dir = OFFSTAGE_SOURCE_DIR;

// The Depends field of the binary package `offstage` in debian/control, continuation lines
// joined.
std::string package_depends() {
    std::string control = offstage::test::read_file(source_dir + "/debian/control");
    std::size_t stanza = control.find("\nPackage: offstage\n");
    if (stanza == std::string::npos) {
        return "";
    }
    std::size_t field = control.find("\nDepends:", stanza);
    if (field == std::string::npos) {
        return "";
    }
    std::string depends;
    std::size_t position = field + 1 + std::string("Depends:").size();
    while (position < control.size()) {
        std::size_t end = control.find('\n', position);
        if (end == std::string::npos) {
            end = control.size();
        }
        depends += control.substr(position, end - position);
        position = end + 1;
        if (position >= control.size() || control[position] != ' ') {
            break; // the next line is not a continuation
        }
    }
    return depends;
}

TEST(RsyncRequirement, ThePackageDependsOnAnRsyncWithConfineRoot) {
    const std::string depends = package_depends();
    ASSERT_FALSE(depends.empty()) << "no Depends for package offstage in debian/control";
    std::smatch match;
    ASSERT_TRUE(std::regex_search(depends, match, std::regex(R"((^|[ ,|])rsync \(>= ([^)]+)\))")))
        << "debian/control: no versioned rsync dependency in: " << depends;
    EXPECT_EQ(match[2].str(), ShellCommand::minimum_rsync_version)
        << "debian/control depends on rsync (>= " << match[2].str()
        << ") but offstage-shell always passes --confine-root, which needs rsync "
        << ShellCommand::minimum_rsync_version;
}

TEST(RsyncRequirement, TheDocumentsNameTheSameVersion) {
    const std::string version(ShellCommand::minimum_rsync_version);
    for (const char* document :
         {"docs/deployment.md", "docs/forced-shell.md", "docs/offstage-shell.8"}) {
        const std::string text = offstage::test::read_file(source_dir + "/" + document);
        EXPECT_NE(text.find("rsync " + version), std::string::npos)
            << document << " does not name rsync " << version;
    }
}

} // namespace
} // namespace offstage::forced_shell
