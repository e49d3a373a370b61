// `policy explain` against the scan: unnormalised paths get the verdict of the path they name,
// nothing outside the root is ever read for them, and for every path the walk lists (and every
// conffile) explain says exactly what the scan decided, on the tiny dpkg root and on a planted
// tree full of the walk's boundaries (kernel trees, a regular file named /dev, pruned and
// unpruned excludes, symlinks out of the root, a skipped staging root, special files, hostile
// names).
#include "stager/selection/backup_selection.hpp"
#include "stager/selection/path_explainer.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <map>
#include <sys/stat.h>

namespace offstage::selection {
namespace {

using test::TinyDebianRoot;
using test::write_file;

SelectionInput input_for(const std::filesystem::path& root, const std::filesystem::path& admin) {
    SelectionInput input;
    input.database.root = root;
    input.database.admindir = admin;
    return input;
}

std::map<std::string, Explanation> explain(const SelectionInput& input,
                                           const policies::PolicySet& policy,
                                           const std::vector<std::string>& paths) {
    std::map<std::string, Explanation> result;
    for (Explanation& explanation : PathExplainer::explain(input, policy, paths)) {
        result[explanation.path] = std::move(explanation);
    }
    return result;
}

TEST(PathExplainer, NormalisesLexically) {
    EXPECT_EQ(PathExplainer::normalise("/"), "/");
    EXPECT_EQ(PathExplainer::normalise("/etc//shadow"), "/etc/shadow");
    EXPECT_EQ(PathExplainer::normalise("/etc/./shadow/"), "/etc/shadow");
    EXPECT_EQ(PathExplainer::normalise("/tmp/../etc/shadow"), "/etc/shadow");
    EXPECT_EQ(PathExplainer::normalise("/../../../../etc/shadow"), "/etc/shadow");
    EXPECT_EQ(PathExplainer::normalise("/a/b/../../.."), "/");
    EXPECT_EQ(PathExplainer::normalise("/a/.../b"), "/a/.../b");
}

TEST(PathExplainer, AnUnnormalisedPathGetsTheVerdictOfThePathItNames) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    auto e = explain(input_for(tiny.root(), tiny.admindir()), policy,
                     {"/var/cache/../../etc/tiny/local-admin.conf", "/usr/share//tiny/data",
                      "/usr/share/./tiny/data", "/etc/tiny/../tiny/a.conf", "/srv/site/"});
    // Through an excluded directory, but it names a file no rule decides.
    EXPECT_EQ(e["/var/cache/../../etc/tiny/local-admin.conf"].verdict, "annoying");
    EXPECT_FALSE(e["/var/cache/../../etc/tiny/local-admin.conf"].rule.has_value());
    EXPECT_EQ(e["/var/cache/../../etc/tiny/local-admin.conf"].canonical,
              "/etc/tiny/local-admin.conf");
    EXPECT_EQ(e["/usr/share//tiny/data"].verdict, "included");
    EXPECT_EQ(e["/usr/share//tiny/data"].owners, std::vector<std::string>{"tiny-divert"});
    EXPECT_EQ(e["/usr/share/./tiny/data"].verdict, "included");
    EXPECT_EQ(e["/etc/tiny/../tiny/a.conf"].verdict, "conffile");
    ASSERT_TRUE(e["/etc/tiny/../tiny/a.conf"].conffile.has_value());
    EXPECT_EQ(e["/etc/tiny/../tiny/a.conf"].conffile->state, manifests::ConffileState::modified);
    EXPECT_NE(e["/srv/site/"].verdict.find("a directory"), std::string::npos);
}

TEST(PathExplainer, NeverLooksOutsideTheRoot) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    test::TempDir outside;
    write_file(outside / "host-secret", "the host's own file\n");
    std::filesystem::create_directories(outside / "dir");
    write_file(outside / "dir/host-file", "another\n");
    // ".." above the root stays at the root: this names a path inside it, which is not there.
    std::string climbing = "/../../../../../../.." + (outside / "host-secret").string();
    auto e = explain(input_for(tiny.root(), tiny.admindir()), policy, {climbing});
    EXPECT_EQ(e[climbing].verdict, "not in the set: no such file under the root");
    EXPECT_FALSE(e[climbing].exists);

    // A root of our own, with symlinks that lead out of it.
    test::TempDir planted;
    const std::filesystem::path root = planted / "root";
    std::filesystem::create_directories(root / "etc");
    std::filesystem::create_directory_symlink(outside / "dir", root / "etc/away");
    std::filesystem::create_directory_symlink("../../../../../../../..", root / "up");
    auto f =
        explain(input_for(root, tiny.admindir()), policies::PolicySet(),
                {"/etc/away/host-file", "/up" + (outside / "dir/host-file").string(), "/etc/away"});
    EXPECT_EQ(f["/etc/away/host-file"].verdict,
              "not in the set: /etc/away is a symlink, which the walk never follows");
    EXPECT_FALSE(f["/etc/away/host-file"].exists);
    EXPECT_EQ(f["/up" + (outside / "dir/host-file").string()].verdict,
              "not in the set: /up is a symlink, which the walk never follows");
    EXPECT_EQ(f["/etc/away"].verdict, "annoying"); // the symlink itself is a walked entry
}

// A root with the walk's boundaries in it, explained against the tiny root's database.
class PlantedRoot {
public:
    PlantedRoot() {
        const std::filesystem::path r = root();
        std::filesystem::create_directories(r / "usr/bin");
        std::filesystem::create_directory_symlink("usr/bin", r / "bin");
        write_file(r / "usr/bin/tinytool", "#!/bin/sh\n");                 // a package file
        write_file(r / "usr/bin/mine", "mine\n");                          // annoying
        write_file(r / "dev", "a regular file named /dev\n");              // walked
        write_file(r / "proc/1/status", "never walked\n");                 // kernel tree
        write_file(r / "sys/kernel", "never walked\n");                    // kernel tree
        write_file(r / "etc/tiny/a.conf", "a conffile, modified\n");       // conffile
        write_file(r / "etc/tiny/local.conf", "admin\n");                  // annoying
        write_file(r / "var/cache/junk/blob", "pruned\n");                 // excluded (pruned)
        write_file(r / "var/spool/keep/k", "kept\n");                      // included below
        write_file(r / "var/spool/other", "excluded, not pruned\n");       // excluded
        write_file(r / "srv/site/index.html", "<html>\n");                 // expected
        write_file(r / "srv/offstage/2026-01-01/x", "the staging root\n"); // skipped
        write_file(r / "home/u/\x1b[31mred\x1b[0m", "hostile name\n");     // expected
        write_file(r / "home/u/caf\xe9", "non-UTF-8\n");                   // expected
        write_file(r / "opt/x", "a file a tree rule cannot match\n");      // annoying
        write_file(outside_ / "host-file", "outside\n");
        std::filesystem::create_directory_symlink(outside_.path(), r / "opt/away");
        std::filesystem::create_symlink("/etc/shadow", r / "opt/shadow-link");
        if (::mkfifo((r / "srv/fifo").c_str(), 0600) != 0 ||
            ::mkfifo((r / "var/spool/fifo").c_str(), 0600) != 0) {
            throw std::runtime_error("mkfifo");
        }
        policy_ = policies::PolicySet::parse("exclude /var/cache/\n"
                                             "include /var/spool/keep/k\n"
                                             "exclude /var/spool/\n"
                                             "expect /srv/\n"
                                             "expect /home/**\n"
                                             "exclude /opt/x/\n",
                                             "planted.policy");
    }

    std::filesystem::path root() const { return dir_ / "root"; }
    SelectionInput input() const {
        SelectionInput input = input_for(root(), TinyDebianRoot::shared().admindir());
        input.skip_directories.push_back(root() / "srv/offstage");
        return input;
    }
    const policies::PolicySet& policy() const { return policy_; }

private:
    test::TempDir dir_{"offstage-planted"};
    test::TempDir outside_{"offstage-outside"};
    policies::PolicySet policy_;
};

// Every path the scan decides, explained one by one, must get the scan's decision; and every
// other file under the root must be one the scan leaves out.
void expect_explain_agrees_with_scan(const SelectionInput& input,
                                     const policies::PolicySet& policy) {
    BackupSelection selection = BackupSelection::compute(input, policy);
    std::vector<std::string> paths;
    std::map<std::string, Reason> decided;
    for (std::size_t i = 0; i < selection.walk().tree.size(); ++i) {
        std::string path = selection.walk().tree.path(i);
        paths.push_back(path);
        decided[path] = selection.decision(i);
    }
    for (const BackupSelection::Member& member : selection.members()) {
        if (member.from_conffiles) {
            std::string path = selection.path(member);
            paths.push_back(path);
            decided[path] = Reason::conffile;
        }
    }
    // And what the walk never lists: found here by a plain recursive listing.
    std::vector<std::string> unlisted;
    const std::string root = input.database.root.string();
    for (auto it = std::filesystem::recursive_directory_iterator(input.database.root);
         it != std::filesystem::recursive_directory_iterator(); ++it) {
        std::string path = it->path().string().substr(root.size());
        if (!it->is_directory() && !it->is_symlink() && !decided.contains(path)) {
            unlisted.push_back(path);
            paths.push_back(path);
        }
    }
    ASSERT_FALSE(paths.empty());

    std::map<std::string, Explanation> explained;
    for (Explanation& explanation : PathExplainer::explain(input, policy, paths)) {
        explained[explanation.path] = std::move(explanation);
    }
    for (const auto& [path, reason] : decided) {
        const Explanation& explanation = explained[path];
        EXPECT_EQ(to_string(explanation.reason), to_string(reason))
            << path << ": explain says '" << explanation.verdict << "'";
        std::string scan_rule;
        for (const BackupSelection::Member& member : selection.members()) {
            if (selection.path(member) == path && member.rule != nullptr) {
                scan_rule = member.rule->pattern;
            }
        }
        if (!scan_rule.empty()) {
            ASSERT_TRUE(explanation.rule.has_value()) << path;
            EXPECT_EQ(explanation.rule->pattern, scan_rule) << path;
        }
    }
    for (const std::string& path : unlisted) {
        Reason reason = explained[path].reason;
        EXPECT_TRUE(reason == Reason::excluded || reason == Reason::not_walked)
            << path << " is not walked, but explain says '" << explained[path].verdict << "'";
    }
}

TEST(PathExplainer, AgreesWithTheScanOnEveryPathOfTheTinyRoot) {
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    policies::PolicySet policy = policies::PolicySet::load_directory(tiny.policy_dir());
    expect_explain_agrees_with_scan(input_for(tiny.root(), tiny.admindir()), policy);
}

TEST(PathExplainer, AgreesWithTheScanOnEveryPathOfAPlantedTree) {
    PlantedRoot planted;
    expect_explain_agrees_with_scan(planted.input(), planted.policy());
}

TEST(PathExplainer, FollowsTheWalksBoundaries) {
    PlantedRoot planted;
    auto e = explain(planted.input(), planted.policy(),
                     {"/dev", "/proc/1/status", "/var/cache/junk/blob", "/var/cache",
                      "/var/spool/keep/k", "/var/spool/other", "/var/spool/fifo", "/srv/fifo",
                      "/srv/offstage/2026-01-01/x", "/opt/x", "/opt/away/host-file",
                      "/opt/shadow-link", "/bin/tinytool", "/bin/mine"});
    EXPECT_EQ(e["/dev"].verdict, "annoying"); // a file: the walk skips only the directory
    EXPECT_EQ(e["/proc/1/status"].verdict, "not in the set: the walk never enters /proc");
    EXPECT_EQ(e["/var/cache/junk/blob"].verdict, "excluded");
    ASSERT_TRUE(e["/var/cache/junk/blob"].rule.has_value());
    EXPECT_EQ(e["/var/cache/junk/blob"].rule->line, 1U);
    EXPECT_EQ(e["/var/cache"].verdict, "excluded directory: the walk does not enter it");
    ASSERT_TRUE(e["/var/cache"].rule.has_value());
    EXPECT_EQ(e["/var/spool/keep/k"].verdict, "included");
    EXPECT_EQ(e["/var/spool/other"].verdict, "excluded");
    EXPECT_EQ(e["/var/spool/fifo"].verdict, "excluded");
    EXPECT_EQ(e["/srv/fifo"].verdict, "not in the set: a fifo is never archived");
    EXPECT_EQ(e["/srv/offstage/2026-01-01/x"].verdict,
              "not in the set: /srv/offstage is the staging root, which the walk skips");
    EXPECT_EQ(e["/opt/x"].verdict, "annoying");
    EXPECT_EQ(e["/opt/away/host-file"].verdict,
              "not in the set: /opt/away is a symlink, which the walk never follows");
    EXPECT_EQ(e["/opt/shadow-link"].verdict, "annoying");
    EXPECT_EQ(e["/opt/shadow-link"].type, manifests::EntryType::symlink);
    EXPECT_EQ(e["/bin/tinytool"].verdict, "package file");
    EXPECT_EQ(e["/bin/mine"].canonical, "/usr/bin/mine");
    EXPECT_EQ(e["/bin/mine"].verdict, "annoying");
}

} // namespace
} // namespace offstage::selection
