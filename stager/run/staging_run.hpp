// `offstage run` (docs/staging-tree.md, "Publishing"): take the run lock, clear leftovers of
// crashed runs, scan, let every source write its artifacts into a work dir outside the served
// root, write report.json, SHA256SUMS and its signature, publish in one rename, prune. Input
// trouble degrades a source and the tree is still published; an output failure (a full disk) or
// any failure before the publish fails the run, and then nothing new is published and the
// previous trees are untouched. This file holds the order of the steps and the exit-status
// policy, nothing else.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "stager/mail/mail_sender.hpp"
#include "stager/report/run_result.hpp"
#include "stager/run/run_settings.hpp"

#include <functional>
#include <optional>
#include <ostream>

namespace offstage::run {

struct RunOutcome {
    report::RunResult result;
    bool busy = false; // the run lock stayed held past the budget: nothing was done
    mail::MailDelivery mail;

    int exit_status() const;
};

class StagingRun {
public:
    // `log` receives one line per step (the run's log; the CLI sends it to stderr/syslog).
    StagingRun(RunSettings settings, std::ostream& log);

    // Runs every step. Never throws for a failure of the run itself: the result says
    // RunStatus::failed with the reason. Throws only for programming errors.
    RunOutcome execute();

private:
    void execute_locked(report::RunResult& result);
    // The run's id in the catalog, which stays open for the mail; nullopt when not recorded.
    std::optional<std::int64_t> record(report::RunResult& result);
    void finish(RunOutcome& outcome);

    RunSettings settings_;
    std::ostream& log_;
    std::optional<catalog::Catalog> catalog_; // opened by execute_locked(), closed by finish()
};

} // namespace offstage::run
