// The annoying-files loop end to end, through the built `offstage` on the tiny dpkg root of
// tests/selection with a capture script as its sendmail: annoying files planted in several
// directories (one with a space in its name, a database's data directory), run, `policy
// suggest`, every suggested `accept` command run by bash as printed, run again: zero annoying;
// then a new file is exactly the one new in the next mail. And `accept` never leaves an invalid
// policy file.
#include "stager/catalog/catalog.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sstream>

namespace fs = std::filesystem;
using offstage::test::built_program;
using offstage::test::CommandResult;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

// The body of a quoted-printable message: soft line breaks joined, =XX decoded.
std::string decoded_body(const std::string& message) {
    std::string body = message.substr(message.find("\n\n") + 2);
    std::string out;
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] == '=' && i + 1 < body.size() && body[i + 1] == '\n') {
            ++i;
        } else if (body[i] == '=' && i + 2 < body.size()) {
            out += static_cast<char>(std::stoi(body.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += body[i];
        }
    }
    return out;
}

class AnnoyingLoop : public ::testing::Test {
protected:
    TempDir dir{"offstage-loop"};
    fs::path staging = dir / "srv/offstage";
    fs::path policy_dir = dir / "policy.d";
    fs::path root = dir / "root";

    void SetUp() override {
        const TinyDebianRoot& tiny = TinyDebianRoot::shared();
        // A root of our own (files are planted in it) with the tiny root's dpkg database.
        auto copied = run_command({"cp", "-a", tiny.root().string(), root.string()});
        ASSERT_EQ(copied.exit_status, 0) << copied.err;
        fs::create_directories(policy_dir);
        fs::copy_file(tiny.policy_file(), policy_dir / "10-test.policy");
        fs::create_directories(staging);
        fs::permissions(staging, fs::perms(0750));
        fs::create_directories(dir / "mails");
        auto made = run_command({"age-keygen", "-o", (dir / "identity.txt").string()});
        ASSERT_EQ(made.exit_status, 0) << made.err;
        std::string recipient =
            run_command({"age-keygen", "-y", (dir / "identity.txt").string()}).out;
        recipient.erase(recipient.find_last_not_of('\n') + 1);
        write_file(dir / "sendmail",
                   "#!/bin/sh\nn=$(ls '" + (dir / "mails").string() + "' | wc -l)\ncat > '" +
                       (dir / "mails").string() + "'/mail-$n.eml\n",
                   fs::perms(0755));
        write_file(dir / "offstage.toml",
                   "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                       (dir / "state/signing.key").string() + "\"\n[run]\nlock = \"" +
                       (dir / "run.lock").string() + "\"\nlock_wait = 1\nstate_dir = \"" +
                       (dir / "state").string() + "\"\nlog_file = \"" + (dir / "run.log").string() +
                       "\"\nsyslog = false\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                       (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                       root.string() + "\"\nadmindir = \"" + (root / "var/lib/dpkg").string() +
                       "\"\npolicy_dir = \"" + policy_dir.string() +
                       "\"\n[encryption]\nrecipients = [\"" + recipient +
                       "\"]\n[mail]\nrecipients = [\"root\"]\nsendmail = \"" +
                       (dir / "sendmail").string() + "\"\n");
    }

    CommandResult offstage(std::vector<std::string> args) const {
        args.insert(args.begin(), {built_program("offstage").string(), "--config",
                                   (dir / "offstage.toml").string()});
        return run_command(args);
    }

    std::vector<std::string> mails() const {
        std::vector<std::string> bodies;
        for (std::size_t n = 0; fs::exists(dir / "mails" / ("mail-" + std::to_string(n) + ".eml"));
             ++n) {
            bodies.push_back(
                decoded_body(read_file(dir / "mails" / ("mail-" + std::to_string(n) + ".eml"))));
        }
        return bodies;
    }

    std::vector<std::string> last_scan_annoying() const {
        offstage::catalog::CatalogSettings settings;
        settings.path = dir / "state/catalog.sqlite";
        auto catalog = offstage::catalog::Catalog::open_existing(settings);
        EXPECT_TRUE(catalog);
        auto scan = catalog->last_scan();
        EXPECT_TRUE(scan);
        return scan ? scan->annoying : std::vector<std::string>{};
    }

    void plant(const std::string& path) { write_file(root / path.substr(1), "planted\n"); }

    std::vector<std::string> policy_files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::directory_iterator(policy_dir)) {
            names.push_back(entry.path().filename().string());
        }
        std::sort(names.begin(), names.end());
        return names;
    }
};

} // namespace

TEST_F(AnnoyingLoop, RunSuggestAcceptConvergesToZeroAndANewFileIsTheOneNewInTheNextMail) {
    for (int i = 0; i < 40; ++i) {
        plant("/var/lib/appdata/d" + std::to_string(i % 4) + "/f" + std::to_string(i));
    }
    plant("/etc/myapp/a.conf");
    plant("/etc/myapp/conf.d/b.conf");
    plant("/var/lib/app data/x");
    plant("/var/lib/app data/y");
    plant("/var/lib/mysql/ibdata1");
    plant("/var/lib/mysql/sales/orders.ibd");
    plant("/data/it's/1");
    plant("/data/it's/2");

    auto first = offstage({"run", "--day", "2026-11-22"});
    ASSERT_EQ(first.exit_status, 0) << first.out << first.err;
    std::vector<std::string> sent = mails();
    ASSERT_EQ(sent.size(), 1u) << "the first run mails";
    // Grouped by directory, each with its command; 40 files are one line.
    EXPECT_NE(sent[0].find("  /var/lib/appdata/: 40 files (new)\n    offstage --config " +
                           (dir / "offstage.toml").string() +
                           " policy accept /var/lib/appdata/ --as expect\n"),
              std::string::npos)
        << sent[0];
    EXPECT_NE(sent[0].find("  /var/lib/app data/: 2 files (new)\n"), std::string::npos) << sent[0];
    std::size_t annoying = last_scan_annoying().size();
    EXPECT_EQ(annoying, 48u + 4u) << "the planted files and the tiny root's own 4";

    auto suggested = offstage({"policy", "suggest"});
    ASSERT_EQ(suggested.exit_status, 0) << suggested.err;
    EXPECT_NE(suggested.out.find("# /var/lib/mysql/: 2 files: the MariaDB/MySQL data directory; "
                                 "no [mariadb] section configures its dumps yet"),
              std::string::npos)
        << suggested.out;
    EXPECT_NE(suggested.out.find("policy accept /var/lib/mysql/ --as exclude --why"),
              std::string::npos)
        << suggested.out;
    EXPECT_NE(suggested.out.find("# 4 more annoying files in groups of fewer than 2"),
              std::string::npos)
        << suggested.out;
    // With --min 1 every group is proposed; each line runs in bash exactly as printed.
    suggested = offstage({"policy", "suggest", "--min", "1"});
    ASSERT_EQ(suggested.exit_status, 0) << suggested.err;
    // A name that is not UTF-8 is spelled as the mail spells its group (octal escapes).
    EXPECT_NE(sent[0].find("  /root/r\\351sum\\351: 1 file (new)\n"), std::string::npos) << sent[0];
    EXPECT_NE(suggested.out.find("# /root/r\\351sum\\351: 1 file\n"), std::string::npos)
        << suggested.out;
    std::istringstream lines(suggested.out);
    std::size_t accepted = 0;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("offstage ", 0) != 0) {
            continue;
        }
        auto ran = run_command({"bash", "-c", built_program("offstage").string() + line.substr(8)});
        ASSERT_EQ(ran.exit_status, 0) << line << "\n" << ran.out << ran.err;
        EXPECT_NE(ran.out.find(" from annoying to "), std::string::npos) << ran.out;
        ++accepted;
    }
    EXPECT_EQ(accepted, 9u) << suggested.out; // 5 planted groups and the tiny root's 4 files
    std::string local = read_file(policy_dir / "90-local.policy");
    EXPECT_NE(local.find("\nexpect /var/lib/app\\ data/\n"), std::string::npos) << local;
    EXPECT_NE(local.find("\nexclude /var/lib/mysql/\n"), std::string::npos) << local;
    EXPECT_NE(local.find("\nexpect /root/r\xe9sum\xe9\n"), std::string::npos) << local;
    EXPECT_EQ(offstage({"policy", "check"}).exit_status, 0);

    auto second = offstage({"run", "--day", "2026-11-23"});
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    EXPECT_EQ(last_scan_annoying(), std::vector<std::string>{}) << "the loop converged";
    // Files only gone, nothing wrong: no mail ([mail] send = on-change), and the log says why.
    EXPECT_EQ(mails().size(), 1u);
    EXPECT_NE(read_file(dir / "run.log").find("mail skipped: nothing went wrong or changed"),
              std::string::npos);

    plant("/var/lib/newcomer/state");
    auto third = offstage({"run", "--day", "2026-11-24"});
    ASSERT_EQ(third.exit_status, 0) << third.out << third.err;
    sent = mails();
    ASSERT_EQ(sent.size(), 2u);
    EXPECT_NE(sent[1].find("Why this mail: 1 new annoying file."), std::string::npos) << sent[1];
    EXPECT_NE(sent[1].find("New annoying files since the last run (1):\n"
                           "  /var/lib/newcomer/state\n"
                           "\n"),
              std::string::npos)
        << sent[1];
    EXPECT_NE(sent[1].find("== Annoying files (1, in 1 group) ==\n"), std::string::npos) << sent[1];
    EXPECT_NE(sent[1].find("  /var/lib/newcomer/state: 1 file (new)\n"), std::string::npos)
        << sent[1];
    EXPECT_EQ(last_scan_annoying(), std::vector<std::string>{"/var/lib/newcomer/state"});
}

TEST_F(AnnoyingLoop, AcceptNeverLeavesAnInvalidPolicyFile) {
    // A path the grammar refuses (a ".." component): refused, nothing written, no temp left.
    auto refused = offstage({"policy", "accept", "/srv/../etc/x", "--as", "expect"});
    EXPECT_EQ(refused.exit_status, 3) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("'.' or '..'"), std::string::npos) << refused.err;
    EXPECT_EQ(policy_files(), std::vector<std::string>{"10-test.policy"});

    // A local file an admin broke by hand: accept does not make it worse or hide it.
    const std::string broken = "# hand-edited\nexlude /var/tmp/\n";
    write_file(policy_dir / "90-local.policy", broken);
    refused = offstage({"policy", "accept", "/var/lib/x", "--as", "expect"});
    EXPECT_EQ(refused.exit_status, 3) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("90-local.policy:2:1: expected 'exclude', 'expect' or 'include'"),
              std::string::npos)
        << refused.err;
    EXPECT_NE(refused.err.find("it is left as it was"), std::string::npos) << refused.err;
    EXPECT_EQ(read_file(policy_dir / "90-local.policy"), broken);
    EXPECT_EQ(policy_files(), (std::vector<std::string>{"10-test.policy", "90-local.policy"}));
    fs::remove(policy_dir / "90-local.policy");

    // A hostile name: quoted in the rule, escaped when printed, and the file stays valid.
    const std::string hostile("/odd/a b#c*[x]\\\x1b[2J\nz", 21);
    auto made = offstage({"policy", "accept", hostile, "--as", "exclude", "--why", "test\x1b[2J",
                          "--file", "95-odd.policy"});
    ASSERT_EQ(made.exit_status, 0) << made.out << made.err;
    EXPECT_EQ(made.out.find('\x1b'), std::string::npos) << made.out;
    EXPECT_NE(made.out.find("no scan is recorded"), std::string::npos) << made.out;
    std::string written = read_file(policy_dir / "95-odd.policy");
    EXPECT_NE(written.find("\nexclude /odd/a\\ b\\#c\\*\\[x]\\\\\x1b\\[2J?z\n"), std::string::npos)
        << written;
    EXPECT_EQ(written.find("test\x1b"), std::string::npos) << "the comment is escaped";
    EXPECT_EQ(offstage({"policy", "check"}).exit_status, 0);
    auto explained = offstage({"policy", "explain", hostile});
    // explain escapes the rule's backslashes too: each shows doubled.
    EXPECT_NE(explained.out.find("95-odd.policy:2: exclude /odd/a\\\\ b\\\\#c"), std::string::npos)
        << explained.out;

    // --dry-run writes nothing; --file must be a plain *.policy name.
    auto dry = offstage({"policy", "accept", "/var/lib/y/", "--as", "expect", "--dry-run"});
    EXPECT_EQ(dry.exit_status, 0) << dry.err;
    EXPECT_NE(dry.out.find("would add to " + (policy_dir / "90-local.policy").string() +
                           ": expect /var/lib/y/"),
              std::string::npos)
        << dry.out;
    EXPECT_FALSE(fs::exists(policy_dir / "90-local.policy"));
    EXPECT_EQ(
        offstage({"policy", "accept", "/x", "--as", "expect", "--file", "../x.policy"}).exit_status,
        2);
    EXPECT_EQ(offstage({"policy", "accept", "/x", "--as", "include"}).exit_status, 2);
}

TEST_F(AnnoyingLoop, AcceptSaysHowManyFilesOfTheLastScanMoveAndADirectoryBecomesItsTree) {
    plant("/var/lib/appdata/a");
    plant("/var/lib/appdata/sub/b");
    ASSERT_EQ(offstage({"run", "--day", "2026-11-22"}).exit_status, 0);
    auto accepted = offstage({"policy", "accept", "/var/lib/appdata", "--as", "exclude", "--why",
                              "regenerated at boot"});
    ASSERT_EQ(accepted.exit_status, 0) << accepted.err;
    EXPECT_NE(accepted.out.find("adding to " + (policy_dir / "90-local.policy").string() +
                                ": exclude /var/lib/appdata/\n"),
              std::string::npos)
        << accepted.out;
    EXPECT_NE(accepted.out.find("2 files move from annoying to excluded (of the 6 annoying files "
                                "of the last scan, 2026-11-22"),
              std::string::npos)
        << accepted.out;
    std::string local = read_file(policy_dir / "90-local.policy");
    EXPECT_NE(local.find(" offstage policy accept --as exclude: regenerated at boot\n"
                         "exclude /var/lib/appdata/\n"),
              std::string::npos)
        << local;
}

TEST_F(AnnoyingLoop, PolicyCheckReportsARuleThatMatchedNothingForTheConfiguredRuns) {
    write_file(policy_dir / "90-local.policy", "expect /opt/never-there/\n");
    std::string config = read_file(dir / "offstage.toml");
    config.replace(config.find("[scan]\n"), 7, "[scan]\nstale_rule_runs = 2\n");
    write_file(dir / "offstage.toml", config);
    ASSERT_EQ(offstage({"run", "--day", "2026-11-22"}).exit_status, 0);
    auto checked = offstage({"policy", "check"});
    EXPECT_EQ(checked.out.find("stale:"), std::string::npos) << "one scan is not two";
    ASSERT_EQ(offstage({"run", "--day", "2026-11-23"}).exit_status, 0);
    checked = offstage({"policy", "check"});
    EXPECT_EQ(checked.exit_status, 0) << checked.err;
    EXPECT_NE(checked.out.find("stale: " + (policy_dir / "90-local.policy").string() +
                               ":1: expect /opt/never-there/: matched nothing in the last 2 "
                               "scans\n"),
              std::string::npos)
        << checked.out;
    // The test policy's exclude trees prune (/var/cache/) or match: never stale.
    EXPECT_EQ(checked.out.find("exclude /var/cache/"), std::string::npos) << checked.out;
    EXPECT_EQ(checked.out.find("expect /srv/"), std::string::npos) << checked.out;
}
