// `offstage scan` of this machine's own root, read-only, checked against dpkg itself: a sample
// of the reported non-package files must be unknown to `dpkg-query -S` (also under their
// usrmerge alias), and no file an installed package lists may be reported as non-package.
#include "manifests/usr_merge_aliases.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <set>

namespace offstage::test {
namespace {

struct Member {
    std::string reason;
    std::string path;
};

class OwnRoot : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!std::filesystem::exists("/var/lib/dpkg/status")) {
            return;
        }
        TempDir config;
        write_file(config / "offstage.toml", "");
        CommandResult result = run_command(
            {built_program("offstage").string(), "--config", (config / "offstage.toml").string(),
             "scan", "--root", "/", "--admindir", "/var/lib/dpkg", "--policy-dir",
             std::string(OFFSTAGE_SOURCE_DIR) + "/policies/default", "--format", "null"},
            long_timeout());
        status_ = result.exit_status;
        error_ = result.err;
        std::vector<std::string> fields;
        std::size_t start = 0;
        for (std::size_t at = result.out.find('\0'); at != std::string::npos;
             at = result.out.find('\0', start)) {
            fields.push_back(result.out.substr(start, at - start));
            start = at + 1;
        }
        for (std::size_t i = 0; i + 2 < fields.size(); i += 3) {
            if (fields[i] == "member") {
                members_.push_back({fields[i + 1], fields[i + 2]});
            }
        }
    }

    void SetUp() override {
        if (!std::filesystem::exists("/var/lib/dpkg/status")) {
            GTEST_SKIP() << "not a dpkg system";
        }
        ASSERT_EQ(status_, 0) << error_;
    }

    static std::vector<Member> non_package_members() {
        std::vector<Member> result;
        for (const Member& member : members_) {
            if (member.reason == "annoying" || member.reason == "expected") {
                result.push_back(member);
            }
        }
        return result;
    }

    static void check_sample_is_unknown_to_dpkg();
    static void check_no_package_file_is_reported();
    static void check_members_are_sane();

    static CommandOptions long_timeout() {
        CommandOptions options;
        options.timeout = std::chrono::seconds(240);
        return options;
    }

    static inline int status_ = -1;
    static inline std::string error_;
    static inline std::vector<Member> members_;
};

CommandOptions c_locale() {
    CommandOptions options;
    options.extra_environment = {{"LC_ALL", "C"}};
    return options;
}

bool plain_pattern(const std::string& path) {
    // dpkg-query -S takes glob patterns: only ask about paths that are their own pattern.
    for (char c : path) {
        auto u = static_cast<unsigned char>(c);
        if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\' || u < 0x20 || u >= 0x7f) {
            return false;
        }
    }
    return true;
}

// One test, so that the scan runs once per CI run (ctest runs each test in its own process).
TEST_F(OwnRoot, ScanAgreesWithDpkg) {
    {
        SCOPED_TRACE("conffiles and the kernel's trees");
        check_members_are_sane();
    }
    {
        SCOPED_TRACE("a sample of reported non-package files is unknown to dpkg-query -S");
        check_sample_is_unknown_to_dpkg();
    }
    {
        SCOPED_TRACE("no file an installed package lists is reported as non-package");
        check_no_package_file_is_reported();
    }
}

void OwnRoot::check_sample_is_unknown_to_dpkg() {
    std::vector<Member> candidates = non_package_members();
    std::vector<Member> plain;
    for (const Member& member : candidates) {
        if (plain_pattern(member.path)) {
            plain.push_back(member);
        }
    }
    if (plain.empty()) {
        return; // the scan reports no non-package files on this machine: nothing to sample
    }
    manifests::UsrMergeAliases aliases = manifests::UsrMergeAliases::detect("/");
    std::vector<std::string> argv = {"dpkg-query", "-S"};
    std::vector<std::string> asked;
    const std::size_t sample = std::min<std::size_t>(60, plain.size());
    for (std::size_t i = 0; i < sample; ++i) {
        const std::string& path = plain[i * plain.size() / sample].path;
        asked.push_back(path);
        for (const std::string& name : aliases.names()) {
            std::string usr = "/usr/" + name + "/";
            if (path.rfind(usr, 0) == 0) {
                asked.push_back("/" + name + "/" + path.substr(usr.size()));
            }
        }
    }
    argv.insert(argv.end(), asked.begin(), asked.end());
    CommandResult result = run_command(argv, c_locale());
    // Found paths would print "package: path" lines (and exit 0 if all were found).
    EXPECT_EQ(result.out, "") << "reported as non-package but dpkg knows them";
    EXPECT_EQ(result.exit_status, 1);
    for (const std::string& path : asked) {
        EXPECT_NE(result.err.find("no path found matching pattern " + path + "\n"),
                  std::string::npos)
            << path;
    }
}

void OwnRoot::check_no_package_file_is_reported() {
    // Every path of every package, under its listed name and its usrmerge alias.
    CommandResult files = run_command({"dpkg-query", "-W", "-f=${db-fsys:Files}"}, c_locale());
    ASSERT_EQ(files.exit_status, 0) << files.err;
    manifests::UsrMergeAliases aliases = manifests::UsrMergeAliases::detect("/");
    std::set<std::string> listed;
    std::size_t aliased = 0;
    std::size_t start = 0;
    while (start < files.out.size()) {
        std::size_t end = files.out.find('\n', start);
        if (end == std::string::npos) {
            end = files.out.size();
        }
        if (end > start + 1) {
            std::string path = files.out.substr(start + 1, end - start - 1);
            if (aliases.is_aliased(path)) {
                ++aliased;
            }
            listed.insert(aliases.canonical(path));
        }
        start = end + 1;
    }
    ASSERT_GT(listed.size(), 1000u);
    for (const Member& member : non_package_members()) {
        EXPECT_EQ(listed.count(member.path), 0u)
            << member.reason << " " << member.path << " is a package file";
    }
    if (!aliases.names().empty()) {
        // A merged system whose database names /bin/x: those files sit in /usr/bin.
        EXPECT_GT(aliased, 0u);
        for (const Member& member : non_package_members()) {
            EXPECT_NE(member.path.rfind("/usr/bin/", 0) == 0 &&
                          listed.count("/usr/bin/" + member.path.substr(9)) != 0,
                      true)
                << member.path;
        }
    }
}

void OwnRoot::check_members_are_sane() {
    std::size_t conffiles = 0;
    for (const Member& member : members_) {
        conffiles += member.reason == "conffile" ? 1 : 0;
        ASSERT_FALSE(member.path.empty());
        ASSERT_EQ(member.path.front(), '/');
        // The kernel's trees are never walked.
        EXPECT_NE(member.path.rfind("/proc/", 0), 0u) << member.path;
        EXPECT_NE(member.path.rfind("/sys/", 0), 0u) << member.path;
        EXPECT_NE(member.path.rfind("/dev/", 0), 0u) << member.path;
    }
    EXPECT_GT(conffiles, 0u);
}

} // namespace
} // namespace offstage::test
