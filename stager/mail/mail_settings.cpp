#include "stager/mail/mail_settings.hpp"

#include "platform/printable_name.hpp"

#include <algorithm>
#include <cstring>

namespace offstage::mail {

using platform::printable_name;

namespace {

// RFC 5322 atext: what a dot-atom may hold besides dots.
bool is_atext(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr);
}

bool is_dot_atom(std::string_view text) {
    if (text.empty() || text.front() == '.' || text.back() == '.' ||
        text.find("..") != std::string_view::npos) {
        return false;
    }
    return std::all_of(text.begin(), text.end(), [](char c) { return c == '.' || is_atext(c); });
}

} // namespace

std::string_view to_string(MailCadence cadence) {
    switch (cadence) {
    case MailCadence::always:
        return "always";
    case MailCadence::on_change:
        return "on-change";
    case MailCadence::weekly:
        return "weekly";
    }
    return "on-change";
}

std::optional<MailCadence> parse_mail_cadence(std::string_view word) {
    for (MailCadence cadence : {MailCadence::always, MailCadence::on_change, MailCadence::weekly}) {
        if (to_string(cadence) == word) {
            return cadence;
        }
    }
    return std::nullopt;
}

std::vector<std::string> MailSettings::sendmail_command() const {
    std::vector<std::string> argv = {sendmail, "-t", "-oi"};
    argv.insert(argv.end(), sendmail_args.begin(), sendmail_args.end());
    return argv;
}

bool is_domain(std::string_view host) {
    if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.' ||
        host.find("..") != std::string_view::npos) {
        return false;
    }
    std::size_t label = 0;
    for (char c : host) {
        if (c == '.') {
            label = 0;
            continue;
        }
        bool allowed =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!allowed || ++label > 63) {
            return false;
        }
    }
    return true;
}

std::optional<std::string> address_problem(std::string_view address) {
    const std::string shown = "\"" + printable_name(address) + "\"";
    if (address.empty()) {
        return "an empty address";
    }
    std::size_t at = address.rfind('@');
    std::string_view local = address.substr(0, at);
    if (!is_dot_atom(local)) {
        return shown + " is not an address: the part before '@' may hold letters, digits, "
                       "dots (not first, last or doubled) and !#$%&'*+-/=?^_`{|}~, nothing else";
    }
    if (at != std::string_view::npos && !is_domain(address.substr(at + 1))) {
        return shown + " is not an address: the part after '@' is no domain name";
    }
    return std::nullopt;
}

} // namespace offstage::mail
