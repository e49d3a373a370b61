// Sends the run's mail with the MTA's sendmail interface (`sendmail -t -oi`: recipients from the
// To header, a lone "." is no end of input), through platform's child runner (absolute path,
// environment built from nothing, descriptors 0-2 only, a timeout). A mail that cannot go is
// returned as an error, never thrown past the caller nor swallowed, and the message is kept on
// disk so nothing is lost; the run turns it into exit status 6 without unpublishing anything
// (docs/mail.md, docs/staging-tree.md).
#pragma once

#include "stager/mail/mail_settings.hpp"
#include "stager/mail/report_mail.hpp"
#include "stager/report/run_result.hpp"

#include <filesystem>
#include <string>

namespace offstage::mail {

struct MailDelivery {
    enum class State {
        sent,           // sendmail took the message (exit status 0)
        not_configured, // no recipients: nothing was sent, nothing kept
        skipped,        // `[mail] send` found nothing worth a mail (mail_cadence.hpp)
        failed,         // not sent: see `error` and `kept`
    };
    State state = State::failed;
    std::string message_id;
    // Why it failed: the command, how it ended (exit status, signal, timeout, cannot start) and
    // sendmail's first stderr line; then where the message was kept, or why it could not be.
    std::string error;
    // The kept copy (failed only); empty when keeping failed too.
    std::filesystem::path kept;

    bool failed() const { return state == State::failed; }
};

// Sends `message` (rendered with `identity`) and keeps it in settings.keep_dir when that fails.
// Throws nothing but std::bad_alloc.
[[nodiscard]] MailDelivery deliver(const std::string& message, const MessageIdentity& identity,
                                   const std::string& host, const MailSettings& settings);

// Renders the run's mail with a fresh identity and delivers it; with no recipients configured,
// returns not_configured. `why`: the cadence's reasons (report_mail.hpp's body()).
[[nodiscard]] MailDelivery send_report_mail(const report::RunResult& run,
                                            const MailSettings& settings,
                                            const std::vector<std::string>& why = {});

// Writes `message` as KEEP_DIR/YYYYMMDDTHHMMSSZ-UNIQUE.eml (the date and the Message-ID's left
// part), mode 0600, through a temporary name, fsynced with its directory; creates KEEP_DIR (mode
// 0700) when missing. Returns the path. Throws std::system_error naming the path.
std::filesystem::path keep_message(const std::string& message, const MessageIdentity& identity,
                                   const std::filesystem::path& keep_dir);

} // namespace offstage::mail
