// `offstage scan` and `offstage policy` driven as a user would, against the tiny dpkg root.
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/selection/unreadable_conffile_root.hpp"
#include "tests/support/as_nobody.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <cstdio>
#include <gtest/gtest.h>

namespace offstage::test {
namespace {

class SelectionCommands : public ::testing::Test {
protected:
    void SetUp() override {
        const TinyDebianRoot& tiny = TinyDebianRoot::shared();
        config_ =
            write_file(config_dir_ / "offstage.toml",
                       "[staging]\nroot = \"/nonexistent/offstage-staging\"\n[scan]\n"
                       "root = \"" +
                           tiny.root().string() + "\"\nadmindir = \"" + tiny.admindir().string() +
                           "\"\npolicy_dir = \"" + tiny.policy_dir().string() + "\"\n");
    }

    CommandResult offstage(std::vector<std::string> args) {
        args.insert(args.begin(),
                    {built_program("offstage").string(), "--config", config_.string()});
        return run_command(args);
    }

    TempDir config_dir_;
    std::filesystem::path config_;
};

// Splits --format null output into records of three fields.
std::vector<std::vector<std::string>> records_of(const std::string& out) {
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t at = out.find('\0'); at != std::string::npos; at = out.find('\0', start)) {
        fields.push_back(out.substr(start, at - start));
        start = at + 1;
    }
    EXPECT_EQ(start, out.size()) << "every field ends with a NUL";
    EXPECT_EQ(fields.size() % 3, 0u);
    std::vector<std::vector<std::string>> records;
    for (std::size_t i = 0; i + 2 < fields.size(); i += 3) {
        records.push_back({fields[i], fields[i + 1], fields[i + 2]});
    }
    return records;
}

TEST_F(SelectionCommands, ScanNullRecordsCarryTheExactSetAndConffileStates) {
    CommandResult result = offstage({"scan", "--format", "null"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    std::vector<std::string> members, conffiles, specials;
    for (const auto& record : records_of(result.out)) {
        std::string line = record[1] + " " + record[2];
        if (record[0] == "member") {
            members.push_back(line);
        } else if (record[0] == "conffile") {
            conffiles.push_back(line);
        } else if (record[0] == "special") {
            specials.push_back(line);
        } else {
            ADD_FAILURE() << "unexpected record " << record[0] << " " << line;
        }
    }
    EXPECT_EQ(members, TinyDebianRoot::expected_members());
    EXPECT_EQ(conffiles, TinyDebianRoot::expected_conffiles());
    EXPECT_EQ(specials, std::vector<std::string>{"fifo /srv/fifo"});
}

TEST_F(SelectionCommands, ScanJsonIsValidAndRoundTripsNonUtf8Paths) {
    CommandResult result = offstage({"scan", "--format", "json"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_NE(result.out.find("\"/root/r\\udce9sum\\udce9\""), std::string::npos);
    // Python reads it as JSON and os.fsencode() gives back the original bytes.
    CommandOptions options;
    options.stdin_data = result.out;
    CommandResult python =
        run_command({"python3", "-c",
                     "import json, os, sys\n"
                     "d = json.load(sys.stdin)\n"
                     "out = [os.fsencode(p) for p in d['annoying']]\n"
                     "out.append(str(d['counts']['backup_set']).encode())\n"
                     "out += [(m['path'] + ' ' + m['expected_by']).encode() for m in "
                     "d['backup_set'] if m['expected_by']]\n"
                     "out += [(c['state'] + ' ' + c['path']).encode() for c in d['conffiles']]\n"
                     "sys.stdout.buffer.write(b'\\n'.join(out))\n"},
                    options);
    ASSERT_EQ(python.exit_status, 0) << python.err;
    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    std::string ucf_registry = (tiny.root() / "var/lib/ucf/registry").string();
    std::string alternatives = (tiny.admindir() / "alternatives/tinyedit").string();
    EXPECT_EQ(python.out, "/etc/tiny/local-admin.conf\n/root/r\xe9sum\xe9\n/usr/share/tiny/local\n"
                          "/var/lib/tiny/state\n15\n"
                          "/etc/tiny/ucf.conf ucf-managed (" +
                              ucf_registry +
                              ":1)\n"
                              "/usr/bin/tinyedit alternatives link (" +
                              alternatives +
                              ")\n"
                              "/usr/share/man/man1/tinyedit.1.gz alternatives link (" +
                              alternatives +
                              ")\n"
                              "unchanged /etc/tiny-gone.conf\n"
                              "modified /etc/tiny/a.conf\nmissing /etc/tiny/b.conf\n"
                              "unchanged /etc/tiny/with space.conf");
}

TEST_F(SelectionCommands, ScanTextHasSectionsAndCounts) {
    CommandResult result = offstage({"scan"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_NE(result.out.find("backup set: 15 (3 conffiles, 1 included, 7 expected, 4 annoying)\n"
                              "  of the expected, 3 by the alternatives database and ucf's "
                              "registry (no rule matches them)\n"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("annoying files: 4\n  /etc/tiny/local-admin.conf\n"
                              "  /root/r\\xe9sum\\xe9\n"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("conffiles: 4 (2 unchanged, 1 modified, 1 missing, 0 obsolete, "
                              "0 new)"),
              std::string::npos)
        << result.out;
    EXPECT_NE(result.out.find("  modified  /etc/tiny/a.conf  (tiny-conf)\n"), std::string::npos);
    std::string alternatives =
        (TinyDebianRoot::shared().admindir() / "alternatives/tinyedit").string();
    EXPECT_NE(result.out.find("  expected  /usr/bin/tinyedit  alternatives link (" + alternatives +
                              ")\n"),
              std::string::npos)
        << result.out;
}

TEST_F(SelectionCommands, CommandLineOverridesTheConfig) {
    TempDir empty_policies;
    CommandResult result =
        offstage({"scan", "--format", "null", "--policy-dir", empty_policies.path().string()});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    // Without the policy's excludes, dpkg's own database files are annoying too.
    EXPECT_NE(result.out.find(std::string("member\0annoying\0", 16) +
                              TinyDebianRoot::shared().admindir().string().substr(
                                  TinyDebianRoot::shared().root().string().size()) +
                              "/status"),
              std::string::npos);
}

TEST_F(SelectionCommands, BadPolicyOrConfigExitsWithConfigErrorNamingFileAndLine) {
    TempDir bad;
    write_file(bad / "20-bad.policy", "expect /srv/\nexclude\n");
    CommandResult result = offstage({"scan", "--policy-dir", bad.path().string()});
    EXPECT_EQ(result.exit_status, 3);
    EXPECT_NE(result.err.find((bad / "20-bad.policy").string() + ":2:"), std::string::npos)
        << result.err;

    CommandResult check = offstage({"policy", "check", "--policy-dir", bad.path().string()});
    EXPECT_EQ(check.exit_status, 3);
    EXPECT_NE(check.err.find("20-bad.policy:2:"), std::string::npos) << check.err;

    write_file(config_, "[scan]\npolicy_dir = \"/etc\"\nbogus = 1\n");
    CommandResult config = offstage({"scan"});
    EXPECT_EQ(config.exit_status, 3);
    EXPECT_NE(config.err.find(config_.string() + ":3:"), std::string::npos) << config.err;
    EXPECT_NE(config.err.find("[scan] unknown key 'bogus'"), std::string::npos) << config.err;
}

TEST_F(SelectionCommands, AMissingOrBrokenDatabaseFailsNamingTheFileOrCommand) {
    // dpkg-query itself reads a missing database as an empty one: offstage must refuse.
    TempDir empty;
    CommandResult missing = offstage({"scan", "--admindir", (empty / "dpkg").string()});
    EXPECT_EQ(missing.exit_status, 1);
    EXPECT_NE(missing.err.find("dpkg database " + (empty / "dpkg/status").string() +
                               ": No such file or directory"),
              std::string::npos)
        << missing.err;

    write_file(empty / "dpkg/status", "this is not a control file\n");
    CommandResult broken = offstage({"scan", "--admindir", (empty / "dpkg").string()});
    EXPECT_EQ(broken.exit_status, 1);
    EXPECT_NE(broken.err.find("dpkg-query --admindir=" + (empty / "dpkg").string()),
              std::string::npos)
        << broken.err;
    EXPECT_NE(broken.err.find(": exit status 2: "), std::string::npos) << broken.err;
}

TEST_F(SelectionCommands, PolicyCheckAcceptsAGoodPolicy) {
    CommandResult result = offstage({"policy", "check"});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    EXPECT_NE(result.out.find("ok: 8 rules"), std::string::npos) << result.out;
}

TEST_F(SelectionCommands, PolicyExplainSaysWhy) {
    CommandResult result = offstage(
        {"policy", "explain", "/etc/tiny/a.conf", "/var/lib/tiny/state", "/usr/share/tiny/data"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    std::string policy = TinyDebianRoot::shared().policy_file().string();
    EXPECT_EQ(result.out, "/etc/tiny/a.conf\n"
                          "  owner:     tiny-conf\n"
                          "  conffile:  modified\n"
                          "  rule:      no rule\n"
                          "  verdict:   conffile\n"
                          "/var/lib/tiny/state\n"
                          "  owner:     none (no package lists it)\n"
                          "  conffile:  no\n"
                          "  rule:      no rule\n"
                          "  verdict:   annoying\n"
                          "/usr/share/tiny/data\n"
                          "  owner:     tiny-divert\n"
                          "  diversion: diversion by tiny-divert: other packages' "
                          "/usr/share/tiny/data is at /usr/share/tiny/data.distrib\n"
                          "  conffile:  no\n"
                          "  rule:      " +
                              policy +
                              ":7: include /usr/share/tiny/data\n"
                              "  verdict:   included\n");

    const TinyDebianRoot& tiny = TinyDebianRoot::shared();
    std::string alternatives = (tiny.admindir() / "alternatives/tinyedit").string();
    std::string registry = (tiny.root() / "var/lib/ucf/registry").string();
    CommandResult generated =
        offstage({"policy", "explain", "/bin/tinyedit", "/etc/tiny/ucf.conf"});
    ASSERT_EQ(generated.exit_status, 0) << generated.err;
    EXPECT_EQ(generated.out, "/bin/tinyedit\n"
                             "  path:      /usr/bin/tinyedit (usrmerge alias)\n"
                             "  owner:     none (no package lists it)\n"
                             "  conffile:  no\n"
                             "  rule:      no rule\n"
                             "  generated: alternatives link (" +
                                 alternatives +
                                 ")\n"
                                 "  verdict:   expected: alternatives link (" +
                                 alternatives +
                                 ")\n"
                                 "/etc/tiny/ucf.conf\n"
                                 "  owner:     none (no package lists it)\n"
                                 "  conffile:  no\n"
                                 "  ucf:       registered by tiny-conf, modified against ucf's "
                                 "hashfile\n"
                                 "  rule:      no rule\n"
                                 "  generated: ucf-managed (" +
                                 registry +
                                 ":1)\n"
                                 "  verdict:   expected: ucf-managed (" +
                                 registry + ":1)\n");

    CommandResult relative = offstage({"policy", "explain", "etc/passwd"});
    EXPECT_EQ(relative.exit_status, 2);
}

// The verdict of a path in `policy explain`'s output.
std::string verdict_of(const std::string& out, const std::string& path) {
    std::size_t at = out.find(path + "\n");
    if (at == std::string::npos) {
        return "(not explained)";
    }
    std::size_t verdict = out.find("  verdict:   ", at);
    if (verdict == std::string::npos) {
        return "(no verdict)";
    }
    verdict += 13;
    return out.substr(verdict, out.find('\n', verdict) - verdict);
}

TEST_F(SelectionCommands, PolicyExplainNormalisesPathsLikeTheWalkNamesThem) {
    CommandResult result =
        offstage({"policy", "explain", "/var/cache/../../etc/tiny/local-admin.conf",
                  "/usr/share//tiny/data", "/usr/share/./tiny/data"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_EQ(verdict_of(result.out, "/var/cache/../../etc/tiny/local-admin.conf"), "annoying")
        << result.out;
    EXPECT_EQ(verdict_of(result.out, "/usr/share//tiny/data"), "included") << result.out;
    EXPECT_EQ(verdict_of(result.out, "/usr/share/./tiny/data"), "included") << result.out;
    EXPECT_NE(result.out.find("  path:      /usr/share/tiny/data (normalised)\n"),
              std::string::npos)
        << result.out;
}

TEST_F(SelectionCommands, PolicyExplainNeverReadsOutsideTheRoot) {
    TempDir outside;
    write_file(outside / "secret", "the host's\n");
    write_file(outside / "dir/file", "the host's\n");
    TempDir planted;
    write_file(planted / "root/dev", "a regular file named dev\n");
    std::filesystem::create_directories(planted / "root/etc");
    std::filesystem::create_directory_symlink(outside / "dir", planted / "root/etc/away");
    std::string climbing = "/../../../../../../.." + (outside / "secret").string();
    CommandResult result = offstage({"policy", "explain", "--root", (planted / "root").string(),
                                     "--admindir", TinyDebianRoot::shared().admindir().string(),
                                     climbing, "/etc/away/file", "/dev"});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_EQ(verdict_of(result.out, climbing), "not in the set: no such file under the root")
        << result.out;
    EXPECT_EQ(verdict_of(result.out, "/etc/away/file"),
              "not in the set: /etc/away is a symlink, which the walk never follows")
        << result.out;
    // As the scan has it: the walk skips ROOT/dev only when it is a directory.
    EXPECT_EQ(verdict_of(result.out, "/dev"), "annoying") << result.out;
    CommandResult scan =
        offstage({"scan", "--format", "null", "--root", (planted / "root").string(), "--admindir",
                  TinyDebianRoot::shared().admindir().string()});
    ASSERT_EQ(scan.exit_status, 0) << scan.err;
    EXPECT_NE(scan.out.find(std::string("member\0annoying\0/dev\0", 21)), std::string::npos);
}

TEST_F(SelectionCommands, PolicyExplainAndScanQuoteControlBytesInNames) {
    TempDir planted;
    write_file(planted / "root/srv/\x1b]0;owned\x07name", "hostile\n");
    std::string root = (planted / "root").string();
    std::string admindir = TinyDebianRoot::shared().admindir().string();
    CommandResult explain = offstage({"policy", "explain", "--root", root, "--admindir", admindir,
                                      "/srv/\x1b]0;owned\x07name", "relative\x1b[2J"});
    EXPECT_EQ(explain.exit_status, 2);
    EXPECT_EQ(explain.err.find('\x1b'), std::string::npos) << explain.err;
    EXPECT_NE(explain.err.find("relative\\x1b[2J"), std::string::npos) << explain.err;
    explain = offstage(
        {"policy", "explain", "--root", root, "--admindir", admindir, "/srv/\x1b]0;owned\x07name"});
    ASSERT_EQ(explain.exit_status, 0) << explain.err;
    EXPECT_EQ(explain.out.find('\x1b'), std::string::npos) << explain.out;
    EXPECT_NE(explain.out.find("/srv/\\x1b]0;owned\\x07name"), std::string::npos) << explain.out;
    CommandResult scan = offstage({"scan", "--root", root, "--admindir", admindir});
    ASSERT_EQ(scan.exit_status, 0) << scan.err;
    EXPECT_EQ(scan.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(scan.out.find('\x07'), std::string::npos);

    // A policy file's name is a name from the filesystem too: in the rule shown, and in errors.
    TempDir policies;
    write_file(policies / "10-\x1b[2Jname.policy", "expect /srv/\n");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"policy", "explain", "/srv/\x1b]0;owned\x07name"},
          std::vector<std::string>{"scan"}}) {
        std::vector<std::string> argv = args;
        argv.insert(argv.end(), {"--root", root, "--admindir", admindir, "--policy-dir",
                                 policies.path().string()});
        CommandResult result = offstage(argv);
        ASSERT_EQ(result.exit_status, 0) << result.err;
        EXPECT_EQ(result.out.find('\x1b'), std::string::npos) << result.out;
        EXPECT_NE(result.out.find("10-\\x1b[2Jname.policy:1"), std::string::npos) << result.out;
    }
    write_file(policies / "20-\x1b[2Jbad.policy", "exclude relative\n");
    for (std::string command : {"scan", "check"}) {
        std::vector<std::string> argv = {"scan", "--root", root, "--admindir", admindir};
        if (command == "check") {
            argv = {"policy", "check"};
        }
        argv.insert(argv.end(), {"--policy-dir", policies.path().string()});
        CommandResult result = offstage(argv);
        EXPECT_EQ(result.exit_status, 3) << command;
        EXPECT_EQ(result.err.find('\x1b'), std::string::npos) << result.err;
        EXPECT_NE(result.err.find("20-\\033[2Jbad.policy:1:9: expected '/'"), std::string::npos)
            << result.err;
    }
}

// CI runs as root: the scan runs as nobody, who cannot read one conffile.
TEST(SelectionCommandsAsNobody, ScanReportsAnUnreadableConffileAmongItsProblemsAndGoesOn) {
    UnreadableConffileRoot planted;
    int status = run_as_nobody([&]() {
        CommandResult result = run_command(
            {built_program("offstage").string(), "--config", planted.config().string(), "scan",
             "--root", planted.root().string(), "--admindir", planted.admindir().string(),
             "--policy-dir", planted.policy_dir().string()});
        if (result.exit_status != 0) {
            std::fprintf(stderr, "exit %d: %s\n", result.exit_status, result.err.c_str());
            return 10;
        }
        for (const char* expected :
             {"conffiles: 2 (1 unchanged, 0 modified, 0 missing, 0 obsolete, 0 new, 1 unknown)\n",
              "  unknown   /etc/secret.conf  (secret-conf)\n",
              "problems: 1\n  /etc/secret.conf: open conffile: Permission denied\n"}) {
            if (result.out.find(expected) == std::string::npos) {
                std::fprintf(stderr, "missing '%s' in:\n%s\n", expected, result.out.c_str());
                return 11;
            }
        }
        return 0;
    });
    EXPECT_EQ(status, 0);
}

} // namespace
} // namespace offstage::test
