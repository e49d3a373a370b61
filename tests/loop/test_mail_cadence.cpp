// The [mail] send cadence and the stale-rule report on real catalogs (SQLite files the test
// fills) of 0 runs, 1 run, a failed first run and 400 runs, through the run's mail step
// (stager/run/run_mail) with a capture script standing in for sendmail.
#include "stager/catalog/catalog.hpp"
#include "stager/mail/mail_cadence.hpp"
#include "stager/run/run_mail.hpp"
#include "tests/catalog/catalog_test_runs.hpp"
#include "tests/support/temp_dir.hpp"

#include <cctype>
#include <chrono>
#include <filesystem>
#include <gtest/gtest.h>

namespace fs = std::filesystem;
using offstage::catalog::Catalog;
using offstage::mail::MailCadence;
using offstage::mail::MailDelivery;
using offstage::report::RunResult;
using offstage::report::RunStatus;
using offstage::test::published_run;
using offstage::test::read_file;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

class MailCadenceOnACatalog : public ::testing::Test {
protected:
    TempDir dir{"offstage-cadence"};
    Catalog catalog = Catalog::open([this] {
        offstage::catalog::CatalogSettings where;
        where.path = dir / "catalog.sqlite";
        return where;
    }());
    offstage::mail::MailSettings settings;

    void SetUp() override {
        write_file(dir / "sendmail", "#!/bin/sh\ncat >> '" + (dir / "mbox").string() + "'\n",
                   fs::perms(0755));
        settings.sendmail = (dir / "sendmail").string();
        settings.keep_dir = dir / "kept";
    }

    // Every message the capture script got, quoted-printable decoded (=XX, soft line breaks).
    std::string mbox() const {
        std::string raw = fs::exists(dir / "mbox") ? read_file(dir / "mbox") : "";
        std::string out;
        for (std::size_t i = 0; i < raw.size(); ++i) {
            if (raw[i] == '=' && i + 1 < raw.size() && raw[i + 1] == '\n') {
                ++i;
            } else if (raw[i] == '=' && i + 2 < raw.size() && std::isxdigit(raw[i + 1]) &&
                       std::isxdigit(raw[i + 2])) {
                out += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
                i += 2;
            } else {
                out += raw[i];
            }
        }
        return out;
    }

    // Records `run` and runs the mail step on it, as the run does.
    offstage::run::RunMail finish(RunResult& run) {
        std::int64_t id = catalog.record(run);
        return offstage::run::mail_the_run(run, &catalog, id, settings, 30);
    }

    static void with_rules(RunResult& run, std::uint64_t matches_of_second) {
        run.rule_matches = {
            {"/etc/offstage/policy.d/50.policy", 3, "expect /srv/", 12},
            {"/etc/offstage/policy.d/90-local.policy", 4, "expect /opt/gone/", matches_of_second}};
    }
};

} // namespace

TEST_F(MailCadenceOnACatalog, TheFirstRunOfAnEmptyCatalogMails) {
    RunResult run = published_run(1, {"/etc/a"});
    run.new_annoying_files = {"/etc/a"};
    auto mailed = finish(run);
    EXPECT_EQ(mailed.delivery.state, MailDelivery::State::sent) << mailed.delivery.error;
    EXPECT_NE(mbox().find("Why this mail: the first run recorded"), std::string::npos) << mbox();
}

TEST_F(MailCadenceOnACatalog, AFailedFirstRunMailsAndSaysWhy) {
    RunResult run = published_run(1, {});
    run.status = RunStatus::failed;
    run.failure = "the staging filesystem is full";
    run.annoying_files_scanned = false;
    run.sources.clear();
    auto mailed = finish(run);
    EXPECT_EQ(mailed.delivery.state, MailDelivery::State::sent);
    EXPECT_NE(mbox().find("Why this mail: the run failed; the first run recorded"),
              std::string::npos)
        << mbox();
    EXPECT_NE(mbox().find("== Why the run FAILED =="), std::string::npos);
    // A second failed run is still mailed: a failure always is, whatever the cadence.
    for (MailCadence cadence : {MailCadence::on_change, MailCadence::weekly}) {
        settings.send = cadence;
        RunResult again = run;
        again.day = "2026-11-02";
        EXPECT_EQ(finish(again).delivery.state, MailDelivery::State::sent);
    }
}

TEST_F(MailCadenceOnACatalog, AfterOneRunNothingChangedIsSkippedAndRecorded) {
    RunResult first = published_run(1, {"/etc/a"});
    ASSERT_EQ(finish(first).delivery.state, MailDelivery::State::sent);
    std::string after_first = mbox();

    RunResult second = published_run(2, {"/etc/a"});
    auto mailed = finish(second);
    EXPECT_EQ(mailed.delivery.state, MailDelivery::State::skipped);
    EXPECT_FALSE(mailed.delivery.failed()); // a skipped mail is no failure of the run
    EXPECT_EQ(mbox(), after_first);
    ASSERT_FALSE(mailed.reasons.empty());
    EXPECT_NE(mailed.reasons[0].find("next digest is due 2026-11-08"), std::string::npos)
        << mailed.reasons[0];
    // The catalog remembers the mail of the first run, not of the second.
    auto history = catalog.mail_history(catalog.recent_runs(1)[0].id + 1);
    ASSERT_TRUE(history.last_sent);
    EXPECT_EQ(*history.last_sent, offstage::test::november(1));

    // A new annoying file, a source outcome that changed: mailed at once.
    RunResult third = published_run(3, {"/etc/a", "/etc/b"});
    third.new_annoying_files = {"/etc/b"};
    third.sources[1].degrade(offstage::report::ReasonCode::input_changed, "x");
    third.status = RunStatus::degraded;
    mailed = finish(third);
    EXPECT_EQ(mailed.delivery.state, MailDelivery::State::sent);
    EXPECT_NE(mbox().find("Why this mail: system degraded; 1 new annoying file; run complete -> "
                          "degraded; system: ok -> degraded."),
              std::string::npos)
        << mbox();
    // `always` mails the unchanged run too.
    settings.send = MailCadence::always;
    RunResult fourth = published_run(4, {"/etc/a", "/etc/b"});
    fourth.sources[1].degrade(offstage::report::ReasonCode::input_changed, "x");
    fourth.status = RunStatus::degraded;
    EXPECT_EQ(finish(fourth).delivery.state, MailDelivery::State::sent);
    // `weekly` waits with a degraded source and a new file for the digest.
    settings.send = MailCadence::weekly;
    RunResult fifth = published_run(5, {"/etc/a", "/etc/b", "/etc/c"});
    fifth.new_annoying_files = {"/etc/c"};
    fifth.sources[1].degrade(offstage::report::ReasonCode::input_changed, "x");
    fifth.status = RunStatus::degraded;
    EXPECT_EQ(finish(fifth).delivery.state, MailDelivery::State::skipped);
}

TEST_F(MailCadenceOnACatalog, FourHundredRunsGiveAWeeklyDigestWithTheStaleRules) {
    auto start = std::chrono::steady_clock::now();
    for (int day = 1; day <= 399; ++day) {
        RunResult run = published_run(day, {"/srv/a"});
        with_rules(run, day <= 300 ? 1 : 0); // the second rule stopped matching at day 301
        auto mailed = finish(run);
        EXPECT_FALSE(mailed.delivery.failed());
    }
    // A digest each week, nothing in between.
    std::string all = mbox();
    std::size_t mails = 0;
    for (std::size_t at = all.find("\nSubject: "); at != std::string::npos;
         at = all.find("\nSubject: ", at + 1)) {
        ++mails;
    }
    EXPECT_EQ(mails, 1u + (399 - 1) / 7) << "one first mail, then one digest every 7 days";
    fs::remove(dir / "mbox");

    RunResult last = published_run(400, {"/srv/a"});
    with_rules(last, 0);
    auto mailed = finish(last);
    // 399 - 7*57 = day 400 is one week after day 393's digest.
    EXPECT_EQ(mailed.delivery.state, MailDelivery::State::sent);
    std::string text = mbox();
    EXPECT_NE(text.find("Why this mail: weekly digest: no mail since"), std::string::npos) << text;
    EXPECT_NE(text.find("== Stale rules (1) ==\nThese rules matched nothing in each of the last "
                        "30 scans"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("  /etc/offstage/policy.d/90-local.policy:4: expect /opt/gone/\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("expect /srv/"), std::string::npos);
    auto stale = catalog.stale_rules(30);
    ASSERT_EQ(stale.size(), 1u);
    EXPECT_TRUE(catalog.stale_rules(101).empty()) << "it matched 100 scans ago";
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
}

TEST_F(MailCadenceOnACatalog, ARuleAddedRecentlyIsNotStaleYet) {
    for (int day = 1; day <= 3; ++day) {
        RunResult run = published_run(day, {});
        with_rules(run, 0);
        if (day < 3) {
            run.rule_matches.pop_back(); // the rule came with day 3
        }
        finish(run);
    }
    EXPECT_TRUE(catalog.stale_rules(2).empty());
    EXPECT_TRUE(catalog.stale_rules(4).empty()); // fewer scans than asked: nothing is stale
    RunResult run = published_run(4, {});
    with_rules(run, 0);
    finish(run);
    ASSERT_EQ(catalog.stale_rules(2).size(), 1u);
    EXPECT_EQ(catalog.stale_rules(2)[0].rule, "expect /opt/gone/");
}
