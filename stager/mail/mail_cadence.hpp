// Whether a run mails the admins, by `[mail] send` (docs/mail.md): mail that arrives every day
// saying "OK" trains people to ignore it, so by default a run mails only when something went
// wrong, changed or is new, and otherwise once a week as a digest (the metrics are the proof of
// life in between). A pure function of the run and what the catalog remembers.
#pragma once

#include "stager/mail/mail_settings.hpp"
#include "stager/report/run_result.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace offstage::mail {

// How long "weekly" is: a digest goes out when no mail was sent for this long.
inline constexpr std::chrono::hours digest_interval{24 * 7};

struct MailDecision {
    bool send = true;
    // Why it is sent ("spool-mail: ok -> failed", "weekly digest: no mail since
    // 2026-11-20"), shown at the top of the mail; or why not, for the run's log.
    std::vector<std::string> reasons;
};

// What went wrong in `run`: a failed run, a source that is not ok, a note (things a run says
// only when they need a human: a stale lock taken over, the catalog not written...).
std::vector<std::string> trouble(const report::RunResult& run);

// What changed since `previous` (nullptr: the first run): new annoying files (so new groups),
// a source outcome or the run's status that differs (a recovery counts: the admins heard of the
// failure), a source that appeared or went away.
std::vector<std::string> changes(const report::RunResult& run, const report::RunResult* previous);

// always: send. on-change: send on trouble or a change, else when no mail was sent within
// digest_interval before the run started (or none ever). weekly: send on a failed run or a
// failed source, else as on-change's digest.
MailDecision decide_mail(const report::RunResult& run, const report::RunResult* previous,
                         std::optional<std::chrono::system_clock::time_point> last_sent,
                         MailCadence cadence);

} // namespace offstage::mail
