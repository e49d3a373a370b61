// The report mail through Debian's real MTA: exim4-daemon-light in its default local-delivery
// configuration, /usr/sbin/sendmail -t -oi -odi (deliver before returning: no daemon runs here,
// and the test then needs no queue run), delivered into /var/mail/USER for a user the test
// creates, and read back by Python's email package. No skipping: without exim or root this test
// fails and says what is missing.
#include "mail_fixtures.hpp"
#include "stager/mail/mail_sender.hpp"
#include "tests/support/mail_user.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>

namespace offstage::mail {
namespace {

namespace fs = std::filesystem;
using offstage::test::run_command;

TEST(MailMta, EximDeliversTheReportMailAndPythonReadsItBack) {
    ASSERT_EQ(::geteuid(), 0u) << "this test adds a user: run it as root";
    std::error_code error;
    fs::path sendmail = fs::canonical("/usr/sbin/sendmail", error);
    ASSERT_FALSE(error) << "/usr/sbin/sendmail is missing: install exim4-daemon-light "
                           "(tools/debian-packages.txt) with DEBIAN_FRONTEND=noninteractive";
    ASSERT_NE(sendmail.filename().string().find("exim"), std::string::npos)
        << "/usr/sbin/sendmail is " << sendmail << ", not exim: this test checks Debian's "
        << "exim4-daemon-light in its local-delivery configuration";

    offstage::test::MailUser user("offstage-mt");
    ASSERT_TRUE(user.created()) << "useradd failed: " << user.error();

    report::RunResult run = test::sample_run();
    run.host = "web1"; // a short host name, as most have
    run.annoying_files.push_back({"/srv/caf\xc3\xa9 menu.txt"});
    offstage::test::TempDir keep("offstage-mail-keep");
    MailSettings settings;
    settings.recipients = {user.name()};
    settings.sendmail = "/usr/sbin/sendmail";
    settings.sendmail_args = {"-odi"};
    settings.keep_dir = keep.path() / "mail";
    settings.timeout = std::chrono::seconds(60);

    MailDelivery delivery = send_report_mail(run, settings);
    ASSERT_EQ(delivery.state, MailDelivery::State::sent) << delivery.error;

    // -odi delivers before sendmail returns; the wait is bounded all the same, for an exim
    // configured to queue (then: exim -qff).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    bool delivered = false;
    while (!delivered && std::chrono::steady_clock::now() < deadline) {
        if (fs::exists(user.mailbox())) {
            delivered = offstage::test::read_file(user.mailbox()).find(delivery.message_id) !=
                        std::string::npos;
        }
        if (!delivered) {
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
    }
    ASSERT_TRUE(delivered) << "no message " << delivery.message_id << " in " << user.mailbox()
                           << " after 30 s; exim's log: "
                           << run_command({"/usr/bin/tail", "-5", "/var/log/exim4/mainlog"}).out;

    test::check_with_python({"--mbox", user.mailbox().string(), "--message-id", delivery.message_id,
                             "--subject", subject(run), "--body-contains",
                             "offstage on web1, day 2026-11-28: DEGRADED\n", "--body-contains",
                             "  /etc/cron.d/\\377-legacy\n", "--body-contains",
                             "  /tmp/x\\015\\012Bcc: attacker@example.org\n", "--body-contains",
                             "  /srv/caf\xc3\xa9 menu.txt: 1 file\n", "--body-contains",
                             "spool-mail (spool): FAILED", "--no-header", "Bcc"});
    EXPECT_TRUE(fs::is_empty(keep.path()) || !fs::exists(settings.keep_dir));
}

} // namespace
} // namespace offstage::mail
