#include "mail_fixtures.hpp"
#include "stager/mail/mime.hpp"
#include "stager/mail/report_mail.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

namespace offstage::mail {
namespace {

using test::fixed_identity;
using test::sample_run;
using test::split_message;

// Header names the message may carry; any other line at the start of a header line would be
// one injected.
bool is_known_header_line(const std::string& line) {
    if (!line.empty() && line[0] == ' ') {
        return true; // a folded continuation
    }
    for (const char* name : {"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
                             "Auto-Submitted: ", "X-Offstage-Status: ", "MIME-Version: ",
                             "Content-Type: ", "Content-Transfer-Encoding: "}) {
        if (line.rfind(name, 0) == 0) {
            return true;
        }
    }
    return false;
}

std::size_t position_of(const std::string& text, const std::string& part) {
    std::size_t position = text.find(part);
    EXPECT_NE(position, std::string::npos) << "missing: " << part << "\nin:\n" << text;
    return position;
}

TEST(MailRender, TheSubjectNamesHostDayAndStatusWithAHint) {
    report::RunResult run = sample_run();
    EXPECT_EQ(subject(run), "offstage web1.example.org 2026-11-28: DEGRADED (spool-mail failed; "
                            "2 new annoying files)");

    run.status = report::RunStatus::complete;
    run.sources.pop_back();
    run.new_annoying_files.clear();
    EXPECT_EQ(subject(run), "offstage web1.example.org 2026-11-28: OK");
    run.new_annoying_files = {"/one"};
    EXPECT_EQ(subject(run), "offstage web1.example.org 2026-11-28: OK (1 new annoying file)");

    run.status = report::RunStatus::failed;
    run.failure = "publish: rename /srv/offstage.work/.incoming-2026-11-28-Ab12Cd to "
                  "/srv/offstage/2026-11-28: No space left on device\nmore detail";
    EXPECT_EQ(subject(run), "offstage web1.example.org 2026-11-28: FAILED (publish: rename "
                            "/srv/offstage.work/.incoming-2026-11-28-Ab12...; 1 new annoying "
                            "file)");

    run = sample_run();
    for (int i = 0; i < 3; ++i) {
        run.sources.push_back(run.sources.back());
    }
    EXPECT_EQ(subject(run), "offstage web1.example.org 2026-11-28: DEGRADED (spool-mail failed; "
                            "spool-mail failed; 2 more sources with problems; 2 new annoying "
                            "files)");
}

TEST(MailRender, TheHeadersAreCompleteAndInOrder) {
    MailSettings settings;
    settings.recipients = {"root", "backup-admins@example.org"};
    std::string message = render_message(sample_run(), settings, fixed_identity());
    test::SplitMessage split = split_message(message);
    EXPECT_EQ(split.header_lines,
              (std::vector<std::string>{
                  "From: offstage <root>",
                  "To: root,",
                  " backup-admins@example.org",
                  "Subject: offstage web1.example.org 2026-11-28: DEGRADED (spool-mail failed; 2",
                  " new annoying files)",
                  "Date: Sat, 28 Nov 2026 03:10:12 +0000",
                  "Message-ID: <0123456789abcdef0123456789abcdef@web1.example.org>",
                  "Auto-Submitted: auto-generated",
                  "X-Offstage-Status: DEGRADED",
                  "MIME-Version: 1.0",
                  "Content-Type: text/plain; charset=UTF-8",
                  "Content-Transfer-Encoding: quoted-printable",
              }));
    EXPECT_EQ(split.body, mime::quoted_printable(body(sample_run(), settings)));

    settings.from = "offstage@backup.example.org";
    EXPECT_EQ(split_message(render_message(sample_run(), settings, fixed_identity()))
                  .header_lines.front(),
              "From: offstage <offstage@backup.example.org>");
}

TEST(MailRender, AHostileHostCannotInjectAHeader) {
    report::RunResult run = sample_run();
    run.host = "web1\r\nBcc: attacker@example.org\r\nX-Evil: 1";
    run.day = "2026-11-28\nBcc: attacker@example.org";
    MailSettings settings;
    std::string message = render_message(run, settings, fixed_identity());
    test::SplitMessage split = split_message(message);
    for (const std::string& line : split.header_lines) {
        EXPECT_TRUE(is_known_header_line(line)) << "injected header line: " << line;
        EXPECT_EQ(line.find('\r'), std::string::npos) << line;
    }
    // No domain to borrow: the Message-ID says .invalid.
    EXPECT_NE(message.find("Message-ID: <0123456789abcdef0123456789abcdef@offstage.invalid>"),
              std::string::npos);
    EXPECT_NE(
        message.find("Subject: offstage web1\\015\\012Bcc: attacker@example.org\\015\\012X-Evil:"),
        std::string::npos)
        << message;
}

TEST(MailRender, AHostileFileNameStaysOneEscapedLineOfTheBody) {
    report::RunResult run = sample_run();
    std::string text = body(run, MailSettings{});
    EXPECT_NE(text.find("  /tmp/x\\015\\012Bcc: attacker@example.org\n"), std::string::npos)
        << text;
    EXPECT_EQ(text.find('\r'), std::string::npos);
    EXPECT_EQ(text.find("\nBcc:"), std::string::npos);
    std::string message = render_message(run, MailSettings{}, fixed_identity());
    for (const std::string& line : split_message(message).header_lines) {
        EXPECT_TRUE(is_known_header_line(line)) << "injected header line: " << line;
    }
}

TEST(MailRender, ANameThatIsNotUtf8OrHidesBidiControlsIsEscaped) {
    report::RunResult run = sample_run();
    run.annoying_files.push_back({"/home/a/invoice\xe2\x80\xae"
                                  "fdp.exe"});
    run.annoying_files.push_back({"/srv/caf\xc3\xa9"});
    std::string text = body(run, MailSettings{});
    EXPECT_NE(text.find("  /etc/cron.d/\\377-legacy\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  /home/a/invoice\\342\\200\\256fdp.exe: 1 file\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("  /srv/caf\xc3\xa9: 1 file\n"), std::string::npos) << text; // UTF-8 stays
    // The command gives the exact bytes back to a shell, with nothing raw in it.
    EXPECT_NE(text.find("    offstage policy accept $'/home/a/invoice\\342\\200\\256fdp.exe' --as "
                        "expect\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find('\xff'), std::string::npos);
}

TEST(MailRender, TheCapLimitsEachListAndSaysWhereTheRestIs) {
    report::RunResult run = sample_run();
    run.annoying_files.clear();
    run.new_annoying_files.clear();
    for (int i = 0; i < 250; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "/srv/junk/%03d", i);
        run.annoying_files.push_back({name});
        run.new_annoying_files.push_back(name);
    }
    MailSettings settings;
    settings.listing_cap = 10;
    std::string text = body(run, settings);
    EXPECT_NE(text.find("  /srv/junk/009\n"), std::string::npos);
    EXPECT_EQ(text.find("/srv/junk/010"), std::string::npos);
    const std::string more = "  240 more not shown: the full list is in system.tar.zst.age.\n";
    std::size_t first = text.find(more);
    ASSERT_NE(first, std::string::npos) << text;
    // The 250 annoying files of one directory are one line, with its count and its command.
    EXPECT_NE(text.find("== Annoying files (250, in 1 group) ==\n"), std::string::npos) << text;
    EXPECT_NE(text.find("  /srv/junk/: 250 files (new)\n"
                        "    offstage policy accept /srv/junk/ --as expect\n"),
              std::string::npos)
        << text;

    // More groups than the cap: the first ones, and where the rest are.
    run.annoying_files.clear();
    run.new_annoying_files.clear();
    for (int i = 0; i < 25; ++i) {
        run.annoying_files.push_back({"/opt/app" + std::to_string(100 + i) + "/a"});
        run.annoying_files.push_back({"/opt/app" + std::to_string(100 + i) + "/b"});
    }
    text = body(run, settings);
    EXPECT_NE(text.find("  /opt/app109/: 2 files\n"), std::string::npos) << text;
    EXPECT_EQ(text.find("/opt/app110/"), std::string::npos) << text;
    EXPECT_NE(text.find("  15 more groups not shown: every file is listed in "
                        "system.tar.zst.age.\n"),
              std::string::npos)
        << text;
    for (int i = 0; i < 250; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "/srv/junk/%03d", i);
        run.new_annoying_files.push_back(name);
    }

    run.status = report::RunStatus::failed;
    run.failure = "the staging filesystem is full";
    text = body(run, settings);
    EXPECT_EQ(text.find("the full list is in system.tar.zst.age"), std::string::npos);
    EXPECT_NE(text.find("  240 more not shown: this run published nothing"), std::string::npos)
        << text;

    settings.listing_cap = 1000;
    EXPECT_EQ(body(run, settings).find("more not shown"), std::string::npos);
}

TEST(MailRender, TheSectionsComeInTheDocumentedOrder) {
    report::RunResult run = sample_run();
    run.changed_conffiles =
        std::vector<report::ConffileChange>{{"/etc/ssh/sshd_config", "unchanged", "modified"}};
    std::string text = body(run, MailSettings{});
    std::vector<std::string> order = {
        "offstage on web1.example.org, day 2026-11-28: DEGRADED\n",
        "== What changed ==\nNew annoying files since the last run (2):\n",
        "Gone since the last run (1):\n  /opt/old/thing\n",
        "== Totals ==\n",
        "== Conffile changes ==\n1 conffile changed state since the last run:\n  "
        "/etc/ssh/sshd_config: unchanged -> modified\n",
        "== Source problems ==\nspool-mail (spool): FAILED\n  lock_timeout: waited 300 s",
        "== Notes ==\n  run lock taken over from pid 812",
        "== Sources: sizes and durations ==\n",
        "== Annoying files (4, in 4 groups) ==\n",
    };
    std::size_t previous = 0;
    for (const std::string& part : order) {
        std::size_t position = position_of(text, part);
        EXPECT_GE(position, previous) << part << " is out of order in:\n" << text;
        previous = position;
    }
    EXPECT_EQ(text.find("== Why the run FAILED =="), std::string::npos);
}

TEST(MailRender, AFailedRunSaysWhyFirst) {
    report::RunResult run = sample_run();
    run.status = report::RunStatus::failed;
    run.failure = "write /srv/offstage.work/.incoming-2026-11-28-Ab12Cd/files.tar.zst.age: No "
                  "space left on device";
    std::string text = body(run, MailSettings{});
    std::size_t why = position_of(text, "== Why the run FAILED ==\nwrite "
                                        "/srv/offstage.work/.incoming-2026-11-28-Ab12Cd/"
                                        "files.tar.zst.age: No space left on device\nNothing new "
                                        "was published; the previous trees are intact");
    EXPECT_LT(why, position_of(text, "== What changed =="));
    EXPECT_EQ(text.rfind("offstage on web1.example.org, day 2026-11-28: FAILED\n", 0), 0u);
}

TEST(MailRender, ConffileChangesAppearOnlyWhenTheRunTracksThem) {
    report::RunResult run = sample_run();
    EXPECT_EQ(body(run, MailSettings{}).find("Conffile"), std::string::npos);
    run.changed_conffiles = std::vector<report::ConffileChange>{};
    EXPECT_NE(body(run, MailSettings{})
                  .find("== Conffile changes ==\nNo conffile changed since "
                        "the last run.\n"),
              std::string::npos);
}

TEST(MailRender, ConffileChangesSayBeforeAndAfterAndQuoteHostileNames) {
    report::RunResult run = sample_run();
    run.changed_conffiles = std::vector<report::ConffileChange>{
        {"/etc/a.conf", "", "modified"},
        {"/etc/b\033[2J.conf", "modified", "unchanged"},
        {"/etc/c.conf", "missing", ""},
    };
    MailSettings settings;
    std::string text = body(run, settings);
    EXPECT_NE(text.find("== Conffile changes ==\n3 conffiles changed state since the last run:\n"
                        "  /etc/a.conf: modified (first seen)\n"
                        "  /etc/b\\033[2J.conf: modified -> unchanged\n"
                        "  /etc/c.conf: missing -> no longer a conffile\n"),
              std::string::npos)
        << text;
    settings.listing_cap = 1;
    text = body(run, settings);
    EXPECT_NE(text.find("  /etc/a.conf: modified (first seen)\n  2 more not shown: the full "
                        "list is in system.tar.zst.age.\n"),
              std::string::npos)
        << text;
}

TEST(MailRender, TheGoldenBody) {
    // The whole body of the sample, so a reviewer sees what the admin reads.
    EXPECT_EQ(
        body(sample_run(), MailSettings{}),
        "offstage on web1.example.org, day 2026-11-28: DEGRADED\n"
        "Run started 2026-11-28 03:00:01 UTC, took 4 min 11 s (offstage 0.9.0).\n"
        "\n"
        "== What changed ==\n"
        "New annoying files since the last run (2):\n"
        "  /etc/cron.d/\\377-legacy\n"
        "  /tmp/x\\015\\012Bcc: attacker@example.org\n"
        "Gone since the last run (1):\n"
        "  /opt/old/thing\n"
        "\n"
        "== Totals ==\n"
        "Annoying files: 4\n"
        "Artifacts:      2, 1 of them reused from the previous tree\n"
        "Bytes:          3.8 MiB (3984588)\n"
        "\n"
        "== Source problems ==\n"
        "spool-mail (spool): FAILED\n"
        "  lock_timeout: waited 300 s for the lock /var/spool/mail/.lock; it was never "
        "released\n"
        "\n"
        "== Notes ==\n"
        "  run lock taken over from pid 812 (of an earlier boot)\n"
        "\n"
        "== Sources: sizes and durations ==\n"
        "  source      kind    outcome  size     artifacts     time\n"
        "  files       files   ok       1.5 MiB  1             3 min 02 s\n"
        "  system      system  ok       2.3 MiB  1 (1 reused)  1.2 s\n"
        "  spool-mail  spool   failed   0 B      0             5 min 00 s\n"
        "\n"
        "== Annoying files (4, in 4 groups) ==\n"
        "  /etc/cron.d/\\377-legacy: 1 file (new)\n"
        "    offstage policy accept $'/etc/cron.d/\\377-legacy' --as expect\n"
        "  /tmp/x\\015\\012Bcc: attacker@example.org: 1 file (new)\n"
        "    offstage policy accept $'/tmp/x\\015\\012Bcc: attacker@example.org' --as expect\n"
        "  /srv/app/config.local: 1 file\n"
        "    offstage policy accept /srv/app/config.local --as expect\n"
        "  /usr/local/bin/tool: 1 file\n"
        "    offstage policy accept /usr/local/bin/tool --as expect\n"
        "New groups first. Each command makes its group expected (backed up, no longer\n"
        "reported); --as exclude leaves it out of the backup. `offstage policy suggest`\n"
        "proposes rules for them all.\n");
}

TEST(MailRender, AnInvalidRecipientIsLeftOutNotWritten) {
    MailSettings settings;
    settings.recipients = {"root", "x\r\nBcc: attacker@example.org", "admin@example.org"};
    settings.from = "evil\nBcc: attacker@example.org";
    test::SplitMessage split =
        split_message(render_message(sample_run(), settings, fixed_identity()));
    EXPECT_EQ(split.header_lines[0], "From: offstage <root>");
    EXPECT_EQ(split.header_lines[1], "To: root,");
    EXPECT_EQ(split.header_lines[2], " admin@example.org");
    for (const std::string& line : split.header_lines) {
        EXPECT_EQ(line.find("attacker"), std::string::npos) << line;
    }
}

TEST(MailRender, PythonsEmailParserReadsBackHeadersCharsetAndBody) {
    report::RunResult run = sample_run();
    run.host = "h\xc3\xb4te.example.org"; // not ASCII: the Subject becomes RFC 2047 words
    // Qualified addresses: unqualified ones ("root", the default) are for the MTA to qualify, and
    // Python rightly calls them defects in a message that has not been through one.
    MailSettings settings;
    settings.recipients = {"admin@example.org", "backup@example.org"};
    settings.from = "offstage@example.org";
    offstage::test::TempDir dir("offstage-mail");
    std::string message = render_message(run, settings, fixed_identity());
    offstage::test::write_file(dir / "message.eml", message);
    EXPECT_NE(message.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_EQ(test::check_with_python(
                  {"--file", (dir / "message.eml").string(), "--message-id",
                   "<0123456789abcdef0123456789abcdef@offstage.invalid>", "--subject", subject(run),
                   "--body-contains", "  /etc/cron.d/\\377-legacy\n", "--body-contains",
                   "  /tmp/x\\015\\012Bcc: attacker@example.org\n", "--body-contains",
                   "offstage on h\xc3\xb4te.example.org, day 2026-11-28", "--no-header", "Bcc",
                   "--no-header", "X-Evil"}),
              0);
}

} // namespace
} // namespace offstage::mail
