// Shipping receipts end to end (docs/forced-shell.md, "Receipts"; docs/status-page.md): the
// real ssh and rsync clients pull through Debian's sshd and the built offstage-shell, which
// appends a receipt for each pull that transferred and ended with status 0; `offstage status`
// and the next `offstage run` import them into the catalog, and the page, the textfile and the
// mail say whether the newest tree was pulled.
#include "tests/e2e/sent_mail.hpp"
#include "tests/e2e/shell_deployment.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <memory>
#include <regex>
#include <string>

namespace offstage::e2e {
namespace {

namespace fs = std::filesystem;
using test::CommandResult;
using test::TempDir;
using test::TinyDebianRoot;

std::string describe(const CommandResult& result) {
    return "exit status " + std::to_string(result.exit_status) + "\n--- stdout:\n" + result.out +
           "\n--- stderr:\n" + result.err;
}

class ReceiptsEndToEnd : public ::testing::Test {
protected:
    void SetUp() override {
        directory_ = std::make_unique<TempDir>("offstage-e2e-receipts");
        scratch_ = std::make_unique<TempDir>("offstage-e2e-provider");
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        ShellDeployment::Options options;
        options.shell_program = test::built_program("offstage-shell");
        options.offstage_program = test::built_program("offstage");
        options.scan = {root.root(), root.admindir(), root.policy_dir()};
        options.mail_send = "always"; // every run's mail, to read its Pulls section
        site_ = std::make_unique<ShellDeployment>(directory_->path(), options);
    }
    void TearDown() override {
        if (HasFailure() && site_) {
            std::cerr << "--- sshd log:\n" << site_->sshd().log() << "--- shell log:\n";
            std::ifstream log(site_->shell_log());
            std::cerr << log.rdbuf() << "---\n";
        }
        site_.reset();
        directory_.reset();
    }
    ShellDeployment& site() { return *site_; }
    fs::path scratch(const std::string& name) const { return scratch_->path() / name; }
    std::string receipts() const { return test::read_file(site_->receipts_file()); }

    std::unique_ptr<TempDir> directory_;
    std::unique_ptr<TempDir> scratch_;
    std::unique_ptr<ShellDeployment> site_;
};

TEST_F(ReceiptsEndToEnd, APullLeavesAReceiptThatTheStatusAndTheNextRunSee) {
    const std::string day_one = "2026-11-22";
    const std::string day_two = "2026-11-23";
    site().backup_stages(day_one);
    CommandResult staged = site().ssh("backup");
    ASSERT_EQ(staged.exit_status, 0) << describe(staged);
    // The run wrote the page and the textfile at its end: the new tree is not pulled yet.
    ASSERT_TRUE(fs::exists(site().status_page_dir() / "index.html"));
    std::string metrics = test::read_file(site().metrics_file());
    EXPECT_NE(metrics.find("offstage_last_pull_timestamp_seconds 0\n"), std::string::npos)
        << metrics;
    EXPECT_EQ(receipts(), "");

    // Transfers that leave no receipt: a dry run, a listing, a refused command.
    CommandResult dry =
        site().rsync({"-a", "-n", site().remote(day_one + "/"), scratch("dry").string() + "/"});
    ASSERT_EQ(dry.exit_status, 0) << describe(dry);
    CommandResult listing = site().rsync({"--list-only", site().remote("")});
    ASSERT_EQ(listing.exit_status, 0) << describe(listing);
    CommandResult refused = site().ssh("cat /etc/passwd");
    EXPECT_EQ(refused.exit_status, 77);
    EXPECT_EQ(receipts(), "");

    // The real pull: one receipt, made of the shell's own words.
    CommandResult pulled =
        site().rsync({"-a", site().remote(day_one + "/"), scratch(day_one).string() + "/"});
    ASSERT_EQ(pulled.exit_status, 0) << describe(pulled);
    EXPECT_EQ(pulled.err, "");
    // A part of a tree (-R with a /./ marker) is a receipt too, marked as a part.
    CommandResult part = site().rsync(
        {"-R", site().remote(day_one + "/./SHA256SUMS"), scratch("part").string() + "/"});
    ASSERT_EQ(part.exit_status, 0) << describe(part);
    const std::regex line("offstage-receipt/1 \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ "
                          "client=127\\.0\\.0\\.1 status=0 served=(.*)\n");
    std::string text = receipts();
    std::smatch match;
    ASSERT_TRUE(std::regex_search(text, match, line)) << text;
    EXPECT_EQ(match[1], day_one);
    std::string rest = match.suffix();
    ASSERT_TRUE(std::regex_match(rest, match, line)) << text;
    EXPECT_EQ(match[1], day_one + ":part");

    // `offstage status` imports them (the file is emptied) and the page says pulled.
    fs::path www = scratch("www");
    CommandResult status = site().offstage({"status", "--html", www.string(), "--metrics"});
    ASSERT_EQ(status.exit_status, 0) << describe(status);
    EXPECT_EQ(receipts(), "");
    std::string page = test::read_file(www / "index.html");
    EXPECT_NE(page.find("pulled the newest tree " + day_one), std::string::npos) << page;
    metrics = test::read_file(site().metrics_file());
    EXPECT_EQ(metrics.find("offstage_last_pull_timestamp_seconds 0\n"), std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find("offstage_pull_overdue 0\n"), std::string::npos) << metrics;

    // The next run: its mail says the provider had every tree up to the pulled one.
    fs::remove(site().last_mail());
    site().backup_stages(day_two);
    CommandResult next = site().ssh("backup");
    ASSERT_EQ(next.exit_status, 0) << describe(next);
    SentMail mail = SentMail::read(site().last_mail());
    EXPECT_NE(mail.body().find("== Pulls =="), std::string::npos) << mail.body();
    EXPECT_NE(mail.body().find("The provider has every tree up to " + day_one + "."),
              std::string::npos)
        << mail.body();
    EXPECT_EQ(mail.body().find("NOT PULLED"), std::string::npos) << mail.body();
    // And the run's page has the new tree waiting, within the deadline.
    page = test::read_file(site().status_page_dir() / "index.html");
    EXPECT_NE(page.find("not pulled yet</span>: newest tree " + day_two), std::string::npos)
        << page;
}

} // namespace
} // namespace offstage::e2e
