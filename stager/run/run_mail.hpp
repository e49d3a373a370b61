// The run's last step: what the catalog remembers decides whether the run mails
// (`[mail] send`, stager/mail/mail_cadence.hpp), the stale rules join the mail, and the catalog
// records what became of the mail, so the next run knows when the last one went out.
#pragma once

#include "stager/catalog/catalog.hpp"
#include "stager/mail/mail_sender.hpp"
#include "stager/report/run_result.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace offstage::run {

struct RunMail {
    mail::MailDelivery delivery;      // State::skipped when the cadence said no
    std::vector<std::string> reasons; // the cadence's reasons to send it, or not to
};

// `catalog` and `run_id`: the catalog the run was just recorded in, and its id there; nullptr
// or nullopt when it could not be (the mail is then sent: the catalog's trouble is news).
// Fills run.stale_rules (a scanning run, `stale_rule_runs` scans) before rendering. Catalog
// errors after the mail is decided are left out of it and returned in `reasons`' log only.
RunMail mail_the_run(report::RunResult& run, catalog::Catalog* catalog,
                     std::optional<std::int64_t> run_id, const mail::MailSettings& settings,
                     std::size_t stale_rule_runs);

} // namespace offstage::run
