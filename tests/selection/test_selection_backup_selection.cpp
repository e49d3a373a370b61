#include "stager/selection/backup_selection.hpp"
#include "stager/selection/path_explainer.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <gtest/gtest.h>
#include <map>

namespace offstage::selection {
namespace {

using test::TinyDebianRoot;

SelectionInput input_for(const TinyDebianRoot& tiny) {
    SelectionInput input;
    input.database.root = tiny.root();
    input.database.admindir = tiny.admindir();
    return input;
}

std::vector<std::string> members_of(const BackupSelection& selection) {
    std::vector<std::string> members;
    for (const BackupSelection::Member& member : selection.members()) {
        members.push_back(std::string(to_string(member.reason)) + " " + selection.path(member));
    }
    return members;
}

TEST(BackupSelection, ComputesTheExactSetOfARealDpkgDatabase) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    BackupSelection selection = BackupSelection::compute(input_for(tiny), policy);

    EXPECT_EQ(members_of(selection), TinyDebianRoot::expected_members());
    std::vector<std::string> annoying;
    for (const BackupSelection::Member& member : selection.members()) {
        if (member.reason == Reason::annoying) {
            annoying.push_back(selection.path(member));
        }
    }
    EXPECT_EQ(annoying,
              (std::vector<std::string>{"/etc/tiny/local-admin.conf", "/root/r\xe9sum\xe9",
                                        "/usr/share/tiny/local", "/var/lib/tiny/state"}));

    std::vector<std::string> conffiles;
    for (const manifests::Conffile& conffile : selection.conffiles()) {
        conffiles.push_back(std::string(manifests::to_string(conffile.state)) + " " +
                            conffile.path);
    }
    EXPECT_EQ(conffiles, TinyDebianRoot::expected_conffiles());
    const manifests::Conffile* gone = selection.database().find_conffile("/etc/tiny-gone.conf");
    ASSERT_NE(gone, nullptr);
    EXPECT_EQ(gone->packages, std::vector<std::string>{"tiny-gone"});

    ASSERT_EQ(selection.special_files().size(), 1u);
    EXPECT_EQ(selection.path(selection.special_files()[0]), "/srv/fifo");
    EXPECT_EQ(selection.special_files()[0].type, manifests::EntryType::fifo);
    EXPECT_TRUE(selection.problems().empty());
}

TEST(BackupSelection, ResolvesUsrMergeDiversionsAndMultiArchInThePackageSet) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    BackupSelection selection = BackupSelection::compute(input_for(tiny), policy);
    const manifests::PackageFileSet& files = selection.database().files();
    // Listed as /bin/tinytool, walked as /usr/bin/tinytool.
    EXPECT_TRUE(files.contains("/usr/bin/tinytool"));
    // tiny-conf's copy of the diverted file lives at the diverted-to name.
    EXPECT_TRUE(files.contains("/usr/share/tiny/data.distrib"));
    EXPECT_TRUE(files.contains("/usr/share/tiny/data")); // tiny-divert's own copy
    EXPECT_TRUE(files.contains("/usr/share/tiny/local.orig"));
    EXPECT_FALSE(files.contains("/usr/share/tiny/local")); // the local diversion moved it
    EXPECT_TRUE(files.contains("/usr/share/tiny/caf\xe9"));
    EXPECT_TRUE(files.contains("/usr/lib/tiny-" + tiny.foreign_arch() + "/libtiny.so.1"));
    EXPECT_TRUE(files.contains("/usr/share/doc/libtiny/README"));
    EXPECT_FALSE(files.contains("/usr/share/tiny-gone/file")); // removed with its package
    EXPECT_EQ(selection.database().package_count(), 5u);       // libtiny counts per arch
    EXPECT_EQ(selection.database().config_files_count(), 1u);

    const BackupSelection::Counts& counts = selection.counts();
    EXPECT_EQ(counts.conffiles, 3u);
    EXPECT_EQ(counts.included, 1u);
    EXPECT_EQ(counts.expected, 7u);
    EXPECT_EQ(counts.expected_generated, 3u);
    EXPECT_EQ(counts.annoying, 4u);
    EXPECT_EQ(counts.excluded, 0u); // /var/cache and dpkg's files are pruned, never walked
}

TEST(BackupSelection, ExpectsAlternativesLinksAndUcfFilesNoRuleDecides) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    BackupSelection selection = BackupSelection::compute(input_for(tiny), policy);
    std::string alternatives = (tiny.admindir() / "alternatives/tinyedit").string();
    std::string registry = (tiny.root() / "var/lib/ucf/registry").string();
    std::map<std::string, std::string> expected_by;
    for (const BackupSelection::Member& member : selection.members()) {
        if (member.expected_by != nullptr) {
            EXPECT_EQ(member.reason, Reason::expected);
            EXPECT_EQ(member.rule, nullptr);
            expected_by[selection.path(member)] = *member.expected_by;
        }
    }
    EXPECT_EQ(expected_by, (std::map<std::string, std::string>{
                               {"/etc/tiny/ucf.conf", "ucf-managed (" + registry + ":1)"},
                               {"/usr/bin/tinyedit", "alternatives link (" + alternatives + ")"},
                               {"/usr/share/man/man1/tinyedit.1.gz",
                                "alternatives link (" + alternatives + ")"}}));
    // The link in the alternatives directory stays under the policy's rule.
    for (const BackupSelection::Member& member : selection.members()) {
        if (selection.path(member) == "/etc/alternatives/tinyedit") {
            ASSERT_NE(member.rule, nullptr);
            EXPECT_EQ(member.rule->line, 8u);
        }
    }

    // A rule decides before the databases do: an admin can exclude a generated link.
    test::TempDir policy_dir;
    test::write_file(policy_dir.path() / "10.policy", "exclude /usr/share/man/\n"
                                                      "exclude /var/cache/\n");
    policies::PolicySet excluding = policies::PolicySet::load_directory(policy_dir.path());
    BackupSelection excluded = BackupSelection::compute(input_for(tiny), excluding);
    std::vector<std::string> members = members_of(excluded);
    EXPECT_EQ(
        std::count(members.begin(), members.end(), "expected /usr/share/man/man1/tinyedit.1.gz"),
        0);
    EXPECT_EQ(std::count(members.begin(), members.end(), "expected /usr/bin/tinyedit"), 1);
    EXPECT_EQ(std::count(members.begin(), members.end(), "annoying /etc/alternatives/tinyedit"), 1);
}

TEST(BackupSelection, ACorruptAlternativesFileFailsTheScanNamingFileAndLine) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    // A copy of the database with one corrupt link group, the root as it is.
    test::TempDir admindir;
    std::filesystem::copy(tiny.admindir(), admindir.path(),
                          std::filesystem::copy_options::recursive);
    test::write_file(admindir.path() / "alternatives/broken", "auto\n/usr/bin/broken\nslave\n");
    SelectionInput input = input_for(tiny);
    input.database.admindir = admindir.path();
    policies::PolicySet none;
    try {
        BackupSelection::compute(input, none);
        ADD_FAILURE() << "a corrupt alternatives file was accepted";
    } catch (const std::runtime_error& error) {
        EXPECT_EQ(std::string(error.what()),
                  (admindir.path() / "alternatives/broken").string() +
                      ":4: unexpected end of file while reading the slave link");
    }
}

TEST(BackupSelection, PrunesExcludedDirectoriesInsteadOfFilteringTheirFiles) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    BackupSelection selection = BackupSelection::compute(input_for(tiny), policy);
    for (std::size_t i = 0; i < selection.walk().tree.size(); ++i) {
        std::string path = selection.walk().tree.path(i);
        EXPECT_NE(path.rfind("/var/cache/", 0), 0u) << path;
        EXPECT_NE(path.rfind("/var/lib/dpkg/", 0), 0u) << path;
    }
    EXPECT_GE(selection.walk().pruned, 2u);
}

TEST(BackupSelection, WithoutPoliciesEveryNonPackageFileIsAnnoying) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet none;
    BackupSelection selection = BackupSelection::compute(input_for(tiny), none);
    std::vector<std::string> members = members_of(selection);
    EXPECT_NE(std::find(members.begin(), members.end(), "annoying /var/cache/junk/blob"),
              members.end());
    EXPECT_NE(std::find(members.begin(), members.end(), "annoying /srv/site/index.html"),
              members.end());
    // Package files never are, and the data file is only a member when a rule includes it.
    EXPECT_EQ(std::find(members.begin(), members.end(), "annoying /usr/bin/tinytool"),
              members.end());
    EXPECT_EQ(std::find(members.begin(), members.end(), "included /usr/share/tiny/data"),
              members.end());
}

std::map<std::string, Explanation> explain(const std::vector<std::string>& paths) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    std::map<std::string, Explanation> result;
    for (Explanation& explanation : PathExplainer::explain(input_for(tiny), policy, paths)) {
        result[explanation.path] = std::move(explanation);
    }
    return result;
}

TEST(PathExplainer, NamesOwnersConffileStateRuleAndVerdict) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    std::string lib = "/usr/lib/tiny-" + tiny.native_arch() + "/libtiny.so.1";
    auto e = explain({"/bin/tinytool", "/usr/share/tiny/data", "/usr/share/tiny/data.distrib",
                      "/etc/tiny/a.conf", "/etc/tiny/b.conf", "/var/lib/tiny/state",
                      "/var/cache/junk/blob", "/usr/share/doc/libtiny/README", "/srv/fifo",
                      "/home/u/my file", "/etc/tiny/", "/no/such/file", lib});

    EXPECT_EQ(e["/bin/tinytool"].canonical, "/usr/bin/tinytool");
    EXPECT_EQ(e["/bin/tinytool"].owners, std::vector<std::string>{"tiny-conf"});
    EXPECT_EQ(e["/bin/tinytool"].verdict, "package file");
    EXPECT_FALSE(e["/bin/tinytool"].rule.has_value());

    EXPECT_EQ(e["/usr/share/tiny/data"].owners, std::vector<std::string>{"tiny-divert"});
    EXPECT_EQ(e["/usr/share/tiny/data"].verdict, "included");
    ASSERT_TRUE(e["/usr/share/tiny/data"].rule.has_value());
    EXPECT_EQ(e["/usr/share/tiny/data"].rule->file, tiny.policy_file().string());
    EXPECT_EQ(e["/usr/share/tiny/data"].rule->line, 7u);

    EXPECT_EQ(e["/usr/share/tiny/data.distrib"].owners, std::vector<std::string>{"tiny-conf"});
    EXPECT_NE(e["/usr/share/tiny/data.distrib"].diversion.find("tiny-divert"), std::string::npos);
    EXPECT_EQ(e["/usr/share/tiny/data.distrib"].verdict, "package file");

    ASSERT_TRUE(e["/etc/tiny/a.conf"].conffile.has_value());
    EXPECT_EQ(e["/etc/tiny/a.conf"].conffile->state, manifests::ConffileState::modified);
    EXPECT_EQ(e["/etc/tiny/a.conf"].verdict, "conffile");
    ASSERT_TRUE(e["/etc/tiny/b.conf"].conffile.has_value());
    EXPECT_EQ(e["/etc/tiny/b.conf"].conffile->state, manifests::ConffileState::missing);

    EXPECT_TRUE(e["/var/lib/tiny/state"].owners.empty());
    EXPECT_FALSE(e["/var/lib/tiny/state"].rule.has_value());
    EXPECT_EQ(e["/var/lib/tiny/state"].verdict, "annoying");

    EXPECT_EQ(e["/var/cache/junk/blob"].verdict, "excluded");
    ASSERT_TRUE(e["/var/cache/junk/blob"].rule.has_value());
    EXPECT_EQ(e["/var/cache/junk/blob"].rule->line, 2u);

    EXPECT_EQ(e["/usr/share/doc/libtiny/README"].owners,
              (std::vector<std::string>{"libtiny:" + tiny.native_arch(),
                                        "libtiny:" + tiny.foreign_arch()}));
    EXPECT_EQ(e[lib].owners, std::vector<std::string>{"libtiny:" + tiny.native_arch()});

    EXPECT_EQ(e["/home/u/my file"].verdict, "expected");
    EXPECT_EQ(e["/srv/fifo"].verdict, "not in the set: a fifo is never archived");
    EXPECT_NE(e["/etc/tiny/"].verdict.find("directory"), std::string::npos);
    EXPECT_EQ(e["/no/such/file"].verdict, "not in the set: no such file under the root");
}

TEST(PathExplainer, NamesTheAlternativesOrUcfRecordThatExpectsAPath) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    std::string alternatives = (tiny.admindir() / "alternatives/tinyedit").string();
    std::string registry = (tiny.root() / "var/lib/ucf/registry").string();
    auto e = explain({"/bin/tinyedit", "/usr/share/man/man1/tinyedit.1.gz", "/etc/tiny/ucf.conf",
                      "/etc/alternatives/tinyedit", "/var/lib/tiny/state"});
    EXPECT_EQ(e["/bin/tinyedit"].canonical, "/usr/bin/tinyedit");
    EXPECT_EQ(e["/bin/tinyedit"].generated, "alternatives link (" + alternatives + ")");
    EXPECT_EQ(e["/bin/tinyedit"].verdict, "expected: alternatives link (" + alternatives + ")");
    EXPECT_EQ(e["/usr/share/man/man1/tinyedit.1.gz"].verdict,
              "expected: alternatives link (" + alternatives + ")");
    EXPECT_EQ(e["/etc/tiny/ucf.conf"].verdict, "expected: ucf-managed (" + registry + ":1)");
    EXPECT_EQ(e["/etc/tiny/ucf.conf"].ucf,
              "registered by tiny-conf, modified against ucf's hashfile");
    // Decided by its rule, not by the database.
    EXPECT_EQ(e["/etc/alternatives/tinyedit"].verdict, "expected");
    EXPECT_TRUE(e["/var/lib/tiny/state"].generated.empty());
    EXPECT_TRUE(e["/var/lib/tiny/state"].ucf.empty());
}

} // namespace
} // namespace offstage::selection
