// `offstage run` mails its report through Debian's real MTA: exim4-daemon-light's
// /usr/sbin/sendmail delivers it into a local mailbox, and Python's email package (a real MIME
// parser) reads it back. Needs root (it adds a user) and exim; fails, never skips, without them.
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/mail_user.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using offstage::test::built_program;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

TEST(RunMailMta, TheRunsReportReachesALocalMailboxThroughEximAndParses) {
    ASSERT_EQ(::geteuid(), 0u) << "this test adds a user: run it as root";
    std::error_code error;
    fs::path sendmail = fs::canonical("/usr/sbin/sendmail", error);
    ASSERT_FALSE(error) << "/usr/sbin/sendmail is missing: install exim4-daemon-light";
    ASSERT_NE(sendmail.filename().string().find("exim"), std::string::npos) << sendmail;
    offstage::test::MailUser user("offstage-rm");
    ASSERT_TRUE(user.created()) << "useradd failed: " << user.error();

    TempDir dir{"offstage-run-mta"};
    // The tiny root holds an annoying file whose name is not UTF-8 (/root/r\351sum\351).
    fs::path root = TinyDebianRoot::shared().root();
    fs::create_directories(dir / "srv/offstage");
    ASSERT_EQ(run_command({"age-keygen", "-o", (dir / "id.txt").string()}).exit_status, 0);
    std::string recipient = run_command({"age-keygen", "-y", (dir / "id.txt").string()}).out;
    recipient.erase(recipient.find_last_not_of('\n') + 1);
    write_file(
        dir / "offstage.toml",
        "[staging]\nroot = \"" + (dir / "srv/offstage").string() + "\"\nsigning_key = \"" +
            (dir / "state/signing.key").string() + "\"\n[run]\nlock = \"" +
            (dir / "run.lock").string() + "\"\nstate_dir = \"" + (dir / "state").string() +
            "\"\nlog_file = \"\"\nsyslog = false\n" +
            "[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
            (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" + root.string() +
            "\"\nadmindir = \"" + TinyDebianRoot::shared().admindir().string() +
            "\"\npolicy_dir = \"" + TinyDebianRoot::shared().policy_dir().string() +
            "\"\n[encryption]\nrecipients = [\"" + recipient + "\"]\n[mail]\nrecipients = [\"" +
            user.name() + "\"]\nsendmail = \"/usr/sbin/sendmail\"\nsendmail_args = [\"-odi\"]\n");

    auto result = run_command({built_program("offstage").string(), "--config",
                               (dir / "offstage.toml").string(), "run", "--day", "2026-11-22"});
    ASSERT_EQ(result.exit_status, 0) << result.out << result.err;

    std::string mbox;
    for (int i = 0; i < 300 && mbox.find("\n\n") == std::string::npos; ++i) {
        std::error_code ignored;
        if (fs::exists(user.mailbox(), ignored)) {
            mbox = read_file(user.mailbox());
        }
        if (mbox.empty()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    ASSERT_FALSE(mbox.empty()) << "nothing delivered to " << user.mailbox();
    std::size_t id_at = mbox.find("\nMessage-ID: ");
    ASSERT_NE(id_at, std::string::npos) << mbox;
    std::string message_id = mbox.substr(id_at + 13, mbox.find('\n', id_at + 1) - id_at - 13);

    offstage::test::CommandOptions options;
    options.timeout = std::chrono::seconds(60);
    auto checked = run_command(
        {"/usr/bin/python3", std::string(OFFSTAGE_SOURCE_DIR) + "/tests/mail/check_mail.py",
         "--mbox", user.mailbox().string(), "--message-id", message_id, "--body-contains",
         "2026-11-22", "--body-contains", "/root/r\\351sum\\351", "--no-header", "Bcc"},
        options);
    EXPECT_EQ(checked.exit_status, 0) << checked.out << checked.err;
}
