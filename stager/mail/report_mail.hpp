// The run's report mail (docs/mail.md) as one RFC 5322 message: a pure function of the
// RunResult, the settings and the message's identity (its date and unique id), so that a test
// can check every byte. Nothing here touches the system.
//
// Every name, host, day, note and child message goes through printable_name() before it is
// shown, and every header value through mime::header_safe(): a hostile file name can neither
// add a header nor hide text in the body. The body is UTF-8, quoted-printable, so any byte
// survives any MTA and mbox.
#pragma once

#include "stager/mail/mail_settings.hpp"
#include "stager/report/run_result.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace offstage::mail {

// What makes one message unique: its Date and its Message-ID's left part.
struct MessageIdentity {
    std::chrono::system_clock::time_point date;
    std::string unique; // 32 lowercase hex digits

    // Now, with 128 random bits from OpenSSL's generator.
    static MessageIdentity fresh();
};

// "<UNIQUE@HOST>", with "offstage.invalid" for a host name that is no domain.
std::string message_id(const MessageIdentity& identity, std::string_view host);

// The Subject, before encoding: "offstage HOST DAY: OK|DEGRADED|FAILED" and a short hint in
// parentheses when there is one ("spool-mail failed; 3 new annoying files").
std::string subject(const report::RunResult& run);

// The body, before encoding, in the order docs/mail.md gives. `why`: the reasons the cadence
// found to send it (mail_cadence.hpp), shown under the headline; none: no such line.
std::string body(const report::RunResult& run, const MailSettings& settings,
                 const std::vector<std::string>& why = {});

// The whole message: headers, a blank line, the quoted-printable body; lines end in "\n" (the
// sendmail interface's convention; the MTA writes CRLF on the wire).
std::string render_message(const report::RunResult& run, const MailSettings& settings,
                           const MessageIdentity& identity,
                           const std::vector<std::string>& why = {});

} // namespace offstage::mail
