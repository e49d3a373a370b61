// What the run's mail needs to know: who gets it, who sends it, how (docs/mail.md, `[mail]` in
// offstage.toml). A plain struct: the config room fills it, the mail room only reads it.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::mail {

// `[mail] send`: which runs mail the admins (stager/mail/mail_cadence.hpp, docs/mail.md).
enum class MailCadence {
    always,    // every run
    on_change, // a failure, a change or something new; otherwise a weekly digest
    weekly,    // a failure; otherwise a weekly digest
};
// "always" | "on-change" | "weekly"
std::string_view to_string(MailCadence cadence);
// The word back to the cadence; nullopt for any other word.
std::optional<MailCadence> parse_mail_cadence(std::string_view word);

struct MailSettings {
    // Addresses ("root", "admin@example.org"), only ever written into the To header: sendmail
    // reads them from there (-t). Debian's MTAs forward "root" as /etc/aliases says. Empty: no
    // mail is sent (the run says so in its log).
    std::vector<std::string> recipients = {"root"};
    // The From address, shown as "offstage <ADDRESS>"; empty: "root", which the MTA qualifies
    // with its mail name (/etc/mailname on Debian) as it does for cron's mail: the host name is
    // often no domain that mail may come from. Unqualified recipients are qualified the same way.
    std::string from;
    // The MTA's sendmail interface (absolute path); it runs as SENDMAIL -t -oi [sendmail_args].
    std::string sendmail = "/usr/sbin/sendmail";
    // Extra arguments after -t -oi, e.g. "-odi" for exim to deliver before it returns.
    std::vector<std::string> sendmail_args;
    // At most this many names in each list of the body (new, gone, all annoying files); the
    // full list is always in system.tar.zst.age.
    std::size_t listing_cap = 200;
    // Where a message that could not be sent is kept (mode 0700, files 0600).
    std::filesystem::path keep_dir = "/var/lib/offstage/mail";
    // Budget of one sendmail call; past it sendmail is killed and the mail counts as failed.
    std::chrono::seconds timeout{120};
    // Which runs send mail.
    MailCadence send = MailCadence::on_change;
    // The configuration file the run read, for the commands the mail suggests
    // (`offstage --config FILE policy accept ...`); empty: the default, not named.
    std::string config_file;

    // {sendmail, "-t", "-oi", sendmail_args...}
    std::vector<std::string> sendmail_command() const;
};

// Why `address` is no address the mail can carry, or nothing when it is one: a dot-atom local
// part ("root", "backup-admins", "first.last") with an optional "@domain" (ASCII labels). No
// display names, no quoted local parts, no spaces, no CR/LF: what parses here cannot break a
// header. For `offstage policy check` and the config room.
std::optional<std::string> address_problem(std::string_view address);

// Whether `host` is a domain name usable after "@" (ASCII letters, digits, '-' and '.').
bool is_domain(std::string_view host);

} // namespace offstage::mail
