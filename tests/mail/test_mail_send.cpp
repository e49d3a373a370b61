#include "mail_fixtures.hpp"
#include "stager/mail/mail_sender.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <gtest/gtest.h>
#include <regex>
#include <sys/stat.h>

namespace offstage::mail {
namespace {

namespace fs = std::filesystem;
using offstage::test::read_file;
using offstage::test::TempDir;
using offstage::test::write_file;

// A sendmail stand-in written by the test: saves its argv (one per line) and its stdin, then
// runs `tail` (shell text). Absolute paths only: the child gets no PATH.
class CaptureSendmail {
public:
    explicit CaptureSendmail(const std::string& tail = "exit 0") {
        write_file(dir_ / "sendmail",
                   "#!/bin/sh\n"
                   "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > " +
                       (dir_ / "argv").string() + "\n/bin/cat > " + (dir_ / "stdin").string() +
                       "\n" + tail + "\n",
                   fs::perms(0755));
    }
    std::string program() const { return (dir_ / "sendmail").string(); }
    bool ran() const { return fs::exists(dir_ / "argv"); }
    std::string argv() const { return read_file(dir_ / "argv"); }
    std::string input() const { return read_file(dir_ / "stdin"); }
    fs::path keep_dir() const { return dir_ / "kept"; }

private:
    TempDir dir_{"offstage-mail"};
};

MailSettings settings_for(const CaptureSendmail& sendmail) {
    MailSettings settings;
    settings.recipients = {"root"};
    settings.sendmail = sendmail.program();
    settings.keep_dir = sendmail.keep_dir();
    settings.timeout = std::chrono::seconds(10);
    return settings;
}

std::vector<fs::path> kept_files(const fs::path& dir) {
    std::vector<fs::path> files;
    if (fs::exists(dir)) {
        for (const auto& entry : fs::directory_iterator(dir)) {
            files.push_back(entry.path());
        }
    }
    return files;
}

// The failed delivery kept exactly `message` as DATE-UNIQUE.eml, 0600, in a 0700 directory.
void expect_kept(const MailDelivery& delivery, const fs::path& keep_dir,
                 const std::string& message) {
    ASSERT_TRUE(delivery.failed());
    std::vector<fs::path> files = kept_files(keep_dir);
    ASSERT_EQ(files.size(), 1u) << delivery.error;
    EXPECT_EQ(delivery.kept, files[0]);
    EXPECT_EQ(files[0].filename().string(),
              "20261128T031012Z-0123456789abcdef0123456789abcdef.eml");
    EXPECT_EQ(read_file(files[0]), message);
    struct stat file_status {};
    ASSERT_EQ(::stat(files[0].c_str(), &file_status), 0);
    EXPECT_EQ(file_status.st_mode & 07777, 0600u);
    struct stat dir_status {};
    ASSERT_EQ(::stat(keep_dir.c_str(), &dir_status), 0);
    EXPECT_EQ(dir_status.st_mode & 07777, 0700u);
    EXPECT_NE(delivery.error.find("kept in " + files[0].string()), std::string::npos)
        << delivery.error;
}

TEST(MailSend, SendmailGetsExactlyDashTDashOiAndTheMessageOnStdin) {
    CaptureSendmail sendmail;
    MailSettings settings = settings_for(sendmail);
    std::string message = render_message(test::sample_run(), settings, test::fixed_identity());
    MailDelivery delivery = deliver(message, test::fixed_identity(), "web1.example.org", settings);
    EXPECT_EQ(delivery.state, MailDelivery::State::sent) << delivery.error;
    EXPECT_EQ(delivery.error, "");
    EXPECT_EQ(delivery.message_id, "<0123456789abcdef0123456789abcdef@web1.example.org>");
    EXPECT_EQ(sendmail.argv(), "-t\n-oi\n");
    EXPECT_TRUE(sendmail.input() == message);
    EXPECT_TRUE(kept_files(sendmail.keep_dir()).empty());
}

TEST(MailSend, TheReportMailGoesOutWholeAndParses) {
    CaptureSendmail sendmail;
    MailSettings settings = settings_for(sendmail);
    settings.recipients = {"admin@example.org", "backup@example.org"};
    settings.from = "offstage@example.org";
    MailDelivery delivery = send_report_mail(test::sample_run(), settings);
    ASSERT_EQ(delivery.state, MailDelivery::State::sent) << delivery.error;
    std::string input = sendmail.input();
    EXPECT_NE(input.find("To: admin@example.org,\n backup@example.org\n"), std::string::npos);
    EXPECT_NE(input.find("Message-ID: " + delivery.message_id + "\n"), std::string::npos);
    EXPECT_TRUE(
        std::regex_search(input, std::regex("Message-ID: <[0-9a-f]{32}@web1.example.org>")));
    write_file(sendmail.keep_dir().parent_path() / "captured.eml", input);
    test::check_with_python(
        {"--file", (sendmail.keep_dir().parent_path() / "captured.eml").string(), "--message-id",
         delivery.message_id, "--subject", subject(test::sample_run()), "--body-contains",
         "/etc/cron.d/\\377-legacy"});
}

TEST(MailSend, ASendmailThatExitsNonZeroIsAnErrorAndTheMessageIsKept) {
    CaptureSendmail sendmail("echo 'sendmail: fatal: no recipients found' >&2; exit 1");
    MailSettings settings = settings_for(sendmail);
    std::string message = render_message(test::sample_run(), settings, test::fixed_identity());
    MailDelivery delivery = deliver(message, test::fixed_identity(), "web1.example.org", settings);
    EXPECT_TRUE(sendmail.ran());
    EXPECT_NE(delivery.error.find("mail not sent: " + sendmail.program() +
                                  " -t -oi: exit status 1: sendmail: fatal: no recipients found"),
              std::string::npos)
        << delivery.error;
    expect_kept(delivery, sendmail.keep_dir(), message);
}

TEST(MailSend, ASendmailThatHangsIsKilledAtItsTimeoutAndTheMessageIsKept) {
    CaptureSendmail sendmail("exec /bin/sleep 60");
    MailSettings settings = settings_for(sendmail);
    settings.timeout = std::chrono::seconds(1);
    std::string message = render_message(test::sample_run(), settings, test::fixed_identity());
    auto start = std::chrono::steady_clock::now();
    MailDelivery delivery = deliver(message, test::fixed_identity(), "web1.example.org", settings);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
    EXPECT_NE(delivery.error.find("timed out after 1 s"), std::string::npos) << delivery.error;
    expect_kept(delivery, sendmail.keep_dir(), message);
}

TEST(MailSend, ASendmailThatDoesNotExistIsAnErrorAndTheMessageIsKept) {
    CaptureSendmail sendmail;
    for (std::string program : {"/nonexistent/sbin/sendmail", "sendmail"}) {
        MailSettings settings = settings_for(sendmail);
        settings.sendmail = program;
        fs::remove_all(sendmail.keep_dir());
        std::string message = render_message(test::sample_run(), settings, test::fixed_identity());
        MailDelivery delivery =
            deliver(message, test::fixed_identity(), "web1.example.org", settings);
        EXPECT_NE(delivery.error.find("mail not sent: " + program + " -t -oi: cannot start"),
                  std::string::npos)
            << delivery.error;
        expect_kept(delivery, sendmail.keep_dir(), message);
    }
}

TEST(MailSend, ABadRecipientStopsTheMailBeforeSendmailRuns) {
    CaptureSendmail sendmail;
    MailSettings settings = settings_for(sendmail);
    settings.recipients = {"root", "x\nBcc: attacker@example.org"};
    std::string message = render_message(test::sample_run(), settings, test::fixed_identity());
    MailDelivery delivery = deliver(message, test::fixed_identity(), "web1.example.org", settings);
    EXPECT_FALSE(sendmail.ran());
    EXPECT_NE(delivery.error.find("mail not sent: recipient \"x\\012Bcc: attacker@example.org\" "
                                  "is not an address"),
              std::string::npos)
        << delivery.error;
    expect_kept(delivery, sendmail.keep_dir(), message);
}

TEST(MailSend, NoRecipientsMeansNoMail) {
    CaptureSendmail sendmail;
    MailSettings settings = settings_for(sendmail);
    settings.recipients.clear();
    MailDelivery delivery = send_report_mail(test::sample_run(), settings);
    EXPECT_EQ(delivery.state, MailDelivery::State::not_configured);
    EXPECT_FALSE(sendmail.ran());
    EXPECT_TRUE(kept_files(sendmail.keep_dir()).empty());
}

TEST(MailSend, AMessageThatCannotBeKeptEitherSaysSo) {
    CaptureSendmail sendmail("exit 75");
    MailSettings settings = settings_for(sendmail);
    write_file(sendmail.keep_dir(), "a file where the keep directory should be");
    MailDelivery delivery =
        deliver("Subject: x\n\nbody\n", test::fixed_identity(), "web1.example.org", settings);
    EXPECT_TRUE(delivery.failed());
    EXPECT_TRUE(delivery.kept.empty());
    EXPECT_NE(delivery.error.find("exit status 75; and it could not be kept: open the mail keep "
                                  "directory " +
                                  sendmail.keep_dir().string()),
              std::string::npos)
        << delivery.error;
}

TEST(MailSend, TwoKeptMessagesNeverOverwriteEachOther) {
    CaptureSendmail sendmail("exit 1");
    MailSettings settings = settings_for(sendmail);
    MessageIdentity first = test::fixed_identity();
    MessageIdentity second = MessageIdentity::fresh();
    EXPECT_NE(first.unique, second.unique);
    EXPECT_TRUE(deliver("one\n", first, "h", settings).failed());
    EXPECT_TRUE(deliver("two\n", second, "h", settings).failed());
    EXPECT_EQ(kept_files(settings.keep_dir).size(), 2u);
    // The same identity twice (it cannot happen with fresh ones): refused, not overwritten.
    EXPECT_THROW(keep_message("three\n", first, settings.keep_dir), std::system_error);
}

} // namespace
} // namespace offstage::mail
