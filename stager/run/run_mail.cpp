#include "stager/run/run_mail.hpp"

#include "stager/mail/mail_cadence.hpp"

namespace offstage::run {

RunMail mail_the_run(report::RunResult& run, catalog::Catalog* catalog,
                     std::optional<std::int64_t> run_id, const mail::MailSettings& settings,
                     std::size_t stale_rule_runs) {
    RunMail result;
    mail::MailDecision decision;
    if (catalog != nullptr && run_id) {
        try {
            if (!run.rule_matches.empty()) {
                run.stale_rule_runs = stale_rule_runs;
                run.stale_rules = catalog->stale_rules(stale_rule_runs);
            }
            catalog::MailHistory history = catalog->mail_history(*run_id);
            decision = mail::decide_mail(run, history.previous ? &*history.previous : nullptr,
                                         history.last_sent, settings.send);
        } catch (const std::exception& error) {
            run.notes.push_back(std::string("the catalog could not say whether to mail: ") +
                                error.what());
            decision.reasons = {"the catalog could not be read"};
        }
    } else {
        decision.reasons = {"the run is not in the catalog"};
    }
    result.reasons = decision.reasons;
    if (!decision.send) {
        result.delivery.state = mail::MailDelivery::State::skipped;
    } else {
        result.delivery = mail::send_report_mail(run, settings, decision.reasons);
    }
    if (catalog != nullptr && run_id) {
        using State = mail::MailDelivery::State;
        State state = result.delivery.state;
        std::string word = state == State::skipped          ? "skipped"
                           : state == State::sent           ? "sent"
                           : state == State::not_configured ? "not configured"
                                                            : "failed";
        try {
            catalog->record_mail(*run_id, word);
        } catch (const std::exception& error) {
            result.reasons.push_back(std::string("the mail's fate was not recorded: ") +
                                     error.what());
        }
    }
    return result;
}

} // namespace offstage::run
