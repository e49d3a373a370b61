#include "forced-shell/rsync_server_args.hpp"

#include "forced-shell/refusal.hpp"
#include "forced-shell/rsync_option_table.hpp"
#include "platform/staging_layout.hpp"

namespace offstage::forced_shell {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// The capability suffix rsync 3.x appends to the cluster (maybe_add_e_option()): "e", then
// "." or "PROTOCOL.SUBPROTOCOL", then flag letters. It is not a set of options.
bool is_capability_suffix(std::string_view suffix) {
    if (suffix.size() < 2 || suffix[0] != 'e') {
        return false;
    }
    std::size_t i = 1;
    if (suffix[i] != '.') {
        std::size_t digits = 0;
        while (i < suffix.size() && is_digit(suffix[i])) {
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3 || i >= suffix.size() || suffix[i] != '.') {
            return false;
        }
        ++i;
        digits = 0;
        while (i < suffix.size() && is_digit(suffix[i])) {
            ++i;
            ++digits;
        }
        if (digits == 0 || digits > 3) {
            return false;
        }
    } else {
        ++i;
    }
    for (; i < suffix.size(); ++i) {
        if (!is_alpha(suffix[i])) {
            return false;
        }
    }
    return suffix.size() <= 40;
}

[[noreturn]] void refuse_row(const RsyncOption& row, std::string_view spelled) {
    throw Refusal("option " + escape_excerpt(spelled, 40) + " is refused: " + std::string(row.why));
}

[[noreturn]] void refuse_unknown(std::string_view spelled) {
    throw Refusal("option " + escape_excerpt(spelled, 40) + " is not allowed for a read-only pull");
}

// Checks the cluster's letters; returns whether it asks for -R.
bool check_cluster(const CommandWords::Word& word) {
    const std::string& text = word.text;
    if (word.escaped || text.size() < 2 || text[0] != '-' || text[1] == '-') {
        throw Refusal("expected rsync's option cluster (like -logDtpre.iLsfxCIvu) after "
                      "--sender, got " +
                      escape_excerpt(text, 40));
    }
    bool relative = false;
    for (std::size_t i = 1; i < text.size(); ++i) {
        char letter = text[i];
        if (letter == 'e') {
            if (!is_capability_suffix(std::string_view(text).substr(i))) {
                throw Refusal("option -e is refused: the option cluster's e. capability "
                              "suffix is malformed (-e/--rsh names a command)");
            }
            break;
        }
        const RsyncOption* row = RsyncOptionTable::find_letter(letter);
        if (row == nullptr) {
            refuse_unknown(std::string("-") + letter);
        }
        if (row->verdict == RsyncOption::Verdict::refused) {
            refuse_row(*row, std::string("-") + letter);
        }
        if (row->takes_value) {
            throw Refusal(std::string("option -") + letter +
                          " takes a value and may not appear in the option cluster");
        }
        relative = relative || letter == 'R';
    }
    return relative;
}

// Whether a relative staging path names the root itself ("", ".", "./", "/./.", ...).
bool names_root(std::string_view path) {
    std::size_t position = 0;
    while (position <= path.size()) {
        std::size_t end = path.find('/', position);
        if (end == std::string_view::npos) {
            end = path.size();
        }
        std::string_view component = path.substr(position, end - position);
        if (!component.empty() && component != ".") {
            return false;
        }
        position = end + 1;
    }
    return true;
}

} // namespace

std::string relative_staging_path(const std::string& path) {
    // Paths are relative to the staging root, like rrsync's: "/2026-11-22/" and "2026-11-22/"
    // name the same day, and "", "." and "/" the root itself.
    std::size_t start = path.find_first_not_of('/');
    std::string relative = start == std::string::npos ? "" : path.substr(start);
    std::size_t position = 0;
    while (position <= relative.size()) {
        std::size_t end = relative.find('/', position);
        if (end == std::string::npos) {
            end = relative.size();
        }
        std::string_view component(relative.data() + position, end - position);
        if (component == "..") {
            throw Refusal("path " + escape_excerpt(path) + " has a .. component");
        }
        // A run in progress (`.incoming-DATE-XXXX`): never served, in any spelling that starts
        // like one (today's runs build in the work root, outside the served root).
        if (platform::staging_layout::is_fenced_name(component)) {
            throw Refusal("path " + escape_excerpt(path) +
                          " names a run in progress (.incoming*), which is never served");
        }
        position = end + 1;
    }
    return relative;
}

RsyncServerArgs RsyncServerArgs::parse(const CommandWords& words) {
    if (words[0].text != "rsync" || words[0].escaped) {
        throw Refusal("unknown command " + escape_excerpt(words[0].text, 32) +
                      " (allowed: backup, rsync --server --sender ...)");
    }
    if (words.size() < 2 || words[1].text != "--server" || words[1].escaped) {
        throw Refusal("only rsync --server --sender is allowed (an rsync client pull)");
    }
    if (words.size() < 3 || words[2].text != "--sender" || words[2].escaped) {
        throw Refusal("upload refused: this server only sends (rsync --server without "
                      "--sender directly after it is a receiver)");
    }
    if (words.size() < 4) {
        throw Refusal("rsync command line ends after --sender");
    }

    RsyncServerArgs args;
    args.cluster_ = words[3].text;
    args.relative_ = check_cluster(words[3]);

    std::size_t i = 4;
    bool saw_dot = false;
    for (; i < words.size(); ++i) {
        const std::string& text = words[i].text;
        if (text == "." && !words[i].escaped) {
            saw_dot = true;
            ++i;
            break;
        }
        if (text.size() > 2 && text[0] == '-' && text[1] == '-') {
            std::string_view body = std::string_view(text).substr(2);
            std::size_t equals = body.find('=');
            std::string_view name = body.substr(0, equals);
            const RsyncOption* row = RsyncOptionTable::find_long(name);
            if (row == nullptr) {
                refuse_unknown(std::string("--") + std::string(name));
            }
            std::string spelled = "--" + std::string(name);
            if (row->verdict == RsyncOption::Verdict::refused) {
                refuse_row(*row, spelled);
            }
            if (!row->takes_value) {
                if (equals != std::string_view::npos) {
                    throw Refusal("option " + spelled + " takes no value");
                }
                args.options_.push_back(spelled);
            } else {
                std::string value;
                if (equals != std::string_view::npos) {
                    value = std::string(body.substr(equals + 1));
                } else if (i + 1 < words.size()) {
                    // The "--opt VALUE" form rsync uses for some options: the value is the
                    // next word.
                    value = words[++i].text;
                } else {
                    throw Refusal("option " + spelled + " is missing its value");
                }
                if (!row->accepts(value)) {
                    throw Refusal("option " + spelled + " value " + escape_excerpt(value, 40) +
                                  " does not match " + std::string(row->pattern));
                }
                args.options_.push_back(spelled + "=" + value);
            }
            if (name == "no-relative") {
                args.relative_ = false;
            } else if (name == "relative") {
                args.relative_ = true;
            }
            continue;
        }
        if (text.size() >= 2 && text[0] == '-' && text[1] != '-') {
            const RsyncOption* row = RsyncOptionTable::find_letter(text[1]);
            std::string spelled = text.substr(0, 2);
            if (row == nullptr) {
                refuse_unknown(spelled);
            }
            if (row->verdict == RsyncOption::Verdict::refused) {
                refuse_row(*row, spelled);
            }
            if (!row->takes_value) {
                throw Refusal("only one option cluster is allowed, got a second one: " +
                              escape_excerpt(text, 40));
            }
            std::string value = text.substr(2);
            if (!row->accepts(value)) {
                throw Refusal("option " + spelled + " value " + escape_excerpt(value, 40) +
                              " does not match " + std::string(row->pattern));
            }
            args.options_.push_back(text);
            continue;
        }
        throw Refusal("expected an option or the . before the paths, got " +
                      escape_excerpt(text, 40));
    }
    if (!saw_dot) {
        throw Refusal("rsync command line has no . before the paths");
    }
    if (i == words.size()) {
        throw Refusal("rsync command line names no path");
    }
    bool files_from = false;
    for (const std::string& option : args.options_) {
        files_from = files_from || option.starts_with("--files-from=");
    }
    for (; i < words.size(); ++i) {
        args.paths_.push_back(relative_staging_path(words[i].text));
        // rsync does not apply exclude rules to the names of a --files-from list, so a list
        // read against the root itself could name a run in progress (.incoming-*).
        if (files_from && names_root(args.paths_.back())) {
            throw Refusal("with --files-from, name a day as the source (like host:2026-11-22/), "
                          "not the staging root");
        }
    }
    return args;
}

} // namespace offstage::forced_shell
