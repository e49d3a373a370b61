#include "forced-shell/rsync_option_table.hpp"

#include <array>

namespace offstage::forced_shell {

namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_lower_alnum(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c);
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

// [0-9]{1,10}: what rsync prints with %d for a non-negative number.
bool unsigned_number(std::string_view value) {
    if (value.empty() || value.size() > 10) {
        return false;
    }
    for (char c : value) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

// -?[0-9]{1,10}
bool signed_number(std::string_view value) {
    if (!value.empty() && value.front() == '-') {
        value.remove_prefix(1);
    }
    return unsigned_number(value);
}

// [a-z0-9]{1,16}(,[a-z0-9]{1,16})?: one algorithm name, or a pair for the two directions.
bool algorithm_names(std::string_view value) {
    std::size_t names = 0;
    std::size_t length = 0;
    for (char c : value) {
        if (c == ',') {
            if (length == 0 || ++names > 1) {
                return false;
            }
            length = 0;
        } else if (is_lower_alnum(c) && ++length <= 16) {
            continue;
        } else {
            return false;
        }
    }
    return length > 0;
}

// ([A-Za-z]{1,12}[0-9]?)(,[A-Za-z]{1,12}[0-9]?){0,31}: --info flag words with their level.
bool info_words(std::string_view value) {
    std::size_t words = 0;
    std::size_t position = 0;
    while (true) {
        std::size_t letters = 0;
        while (position < value.size() && is_alpha(value[position])) {
            ++letters;
            ++position;
        }
        if (letters == 0 || letters > 12) {
            return false;
        }
        if (position < value.size() && is_digit(value[position])) {
            ++position;
        }
        if (++words > 32) {
            return false;
        }
        if (position == value.size()) {
            return true;
        }
        if (value[position] != ',') {
            return false;
        }
        ++position;
    }
}

// -: the file list comes over the connection, never from a server-side file.
bool stdin_only(std::string_view value) {
    return value == "-";
}

// [A-Za-z0-9]{1,16}(/[A-Za-z0-9]{1,16}){0,63}: file suffixes not worth compressing.
bool suffix_list(std::string_view value) {
    std::size_t suffixes = 0;
    std::size_t length = 0;
    for (char c : value) {
        if (c == '/') {
            if (length == 0 || ++suffixes > 63) {
                return false;
            }
            length = 0;
        } else if (!is_alnum(c) || ++length > 16) {
            return false;
        }
    }
    return length > 0;
}

// [0-9]{1,12}[KMGkmg]?: a memory limit as the client typed it.
bool size_value(std::string_view value) {
    if (!value.empty() && std::string_view("KMGkmg").find(value.back()) != std::string_view::npos) {
        value.remove_suffix(1);
    }
    if (value.empty() || value.size() > 12) {
        return false;
    }
    for (char c : value) {
        if (!is_digit(c)) {
            return false;
        }
    }
    return true;
}

// \.|[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}: an iconv charset name ("." = the server's locale).
bool charset_name(std::string_view value) {
    if (value == ".") {
        return true;
    }
    if (value.empty() || value.size() > 40 || !is_alnum(value.front())) {
        return false;
    }
    for (char c : value) {
        if (!is_alnum(c) && std::string_view("._:+-").find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

// Printable bytes and bytes 0x80-0xff: no control byte (the splitter refuses those already).
bool no_control_bytes(std::string_view value) {
    for (char c : value) {
        auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            return false;
        }
    }
    return true;
}

// [^\x00-\x1f\x7f]{1,3968}: a directory on the client. Any name is fine, since a sender never
// uses it; 3968 bytes is what rsync itself accepts (MAXPATHLEN - 128, options.c).
bool client_directory(std::string_view value) {
    return !value.empty() && value.size() <= 3968 && no_control_bytes(value);
}

// [^/\x00-\x1f\x7f]{1,255}: appended to a file name on the client; rsync refuses a '/' in it.
bool backup_suffix(std::string_view value) {
    return !value.empty() && value.size() <= 255 && no_control_bytes(value) &&
           value.find('/') == std::string_view::npos;
}

using V = RsyncOption::Verdict;
constexpr V ok = V::allowed;
constexpr V no = V::refused;

// Checked against rsync 3.5.0's options.c server_options() (what a client puts on the server's
// command line for a pull, i.e. with the server as sender) and Debian's rrsync -ro.
// Columns: letter, long name, takes value, value check, pattern, verdict, why.
constexpr std::array table{
    // -- letters of the option cluster (-logDtpre.iLsfxCIvu) -----------------------------------
    RsyncOption{'v', "verbose", false, nullptr, "", ok, "more messages to the client"},
    RsyncOption{'q', "quiet", false, nullptr, "", ok, "fewer messages"},
    RsyncOption{'b', "backup", false, nullptr, "", ok,
                "sent whenever the client uses -b; backups are made by the receiver only, a "
                "sender ignores it"},
    RsyncOption{'u', "update", false, nullptr, "", ok,
                "receiver-side skip rule; the sender only lists files"},
    RsyncOption{'n', "dry-run", false, nullptr, "", ok, "transfers nothing"},
    RsyncOption{'l', "links", false, nullptr, "", ok,
                "sends a symlink as a symlink (its target string); never follows it"},
    RsyncOption{'d', "dirs", false, nullptr, "", ok, "lists directories without recursing"},
    RsyncOption{'W', "whole-file", false, nullptr, "", ok, "no delta algorithm; same data"},
    RsyncOption{'H', "hard-links", false, nullptr, "", ok,
                "reports which sent files are hard links of each other"},
    RsyncOption{'o', "owner", false, nullptr, "", ok, "sends owner ids as metadata"},
    RsyncOption{'g', "group", false, nullptr, "", ok, "sends group ids as metadata"},
    RsyncOption{'D', "devices", false, nullptr, "", ok,
                "lists device and special files as metadata; never opens them (that is "
                "--copy-devices, refused)"},
    RsyncOption{'t', "times", false, nullptr, "", ok, "sends modification times"},
    RsyncOption{'U', "atimes", false, nullptr, "", ok, "sends access times"},
    RsyncOption{'N', "crtimes", false, nullptr, "", ok, "sends creation times"},
    RsyncOption{'p', "perms", false, nullptr, "", ok, "sends permission bits"},
    RsyncOption{'A', "acls", false, nullptr, "", ok, "sends ACLs of the staged files"},
    RsyncOption{'X', "xattrs", false, nullptr, "", ok, "sends extended attributes"},
    RsyncOption{'r', "recursive", false, nullptr, "", ok,
                "recurses below a checked path; symlinks met on the way are sent, not followed"},
    RsyncOption{'c', "checksum", false, nullptr, "", ok, "reads the files it sends anyway"},
    RsyncOption{'C', "cvs-exclude", false, nullptr, "", ok,
                "exclude rules; reads $HOME/.cvsignore, and HOME is set to /nonexistent"},
    RsyncOption{'I', "ignore-times", false, nullptr, "", ok, "receiver-side comparison rule"},
    RsyncOption{'R', "relative", false, nullptr, "", ok,
                "sends the path names relative to the staging root; paths are still checked"},
    RsyncOption{'x', "one-file-system", false, nullptr, "", ok, "narrows the walk"},
    RsyncOption{'S', "sparse", false, nullptr, "", ok, "receiver-side write mode"},
    RsyncOption{'z', "compress", false, nullptr, "", ok, "compresses the stream"},
    RsyncOption{'s', "secluded-args", false, nullptr, "", no,
                "the arguments would travel inside the protocol, where they cannot be checked: "
                "pull without -s/--secluded-args (--protect-args)"},
    RsyncOption{'L', "copy-links", false, nullptr, "", no,
                "follows symlinks, which may point out of the staging tree"},
    RsyncOption{'k', "copy-dirlinks", false, nullptr, "", no,
                "follows symlinks to directories, which may point out of the staging tree"},
    RsyncOption{'K', "keep-dirlinks", false, nullptr, "", no,
                "receiver-side symlink following; a read-only sender never needs it"},
    // -- letters that take an attached value --------------------------------------------------
    RsyncOption{'B', "block-size", true, unsigned_number, "[0-9]{1,10}", ok,
                "delta-algorithm block size (sent as -B8192)"},
    // -- long options --------------------------------------------------------------------------
    RsyncOption{0, "list-only", false, nullptr, "", ok, "lists instead of sending"},
    RsyncOption{0, "no-r", false, nullptr, "", ok, "turns recursion off"},
    RsyncOption{0, "no-W", false, nullptr, "", ok, "turns whole-file off"},
    RsyncOption{0, "compress-level", true, signed_number, "-?[0-9]{1,10}", ok,
                "a number for the compressor"},
    RsyncOption{0, "compress-choice", true, algorithm_names, "[a-z0-9]{1,16}(,[a-z0-9]{1,16})?", ok,
                "picks a built-in compressor by name"},
    RsyncOption{0, "checksum-choice", true, algorithm_names, "[a-z0-9]{1,16}(,[a-z0-9]{1,16})?", ok,
                "picks a built-in checksum by name"},
    RsyncOption{0, "new-compress", false, nullptr, "", ok, "the zlibx compressor"},
    RsyncOption{0, "old-compress", false, nullptr, "", ok, "the zlib compressor"},
    RsyncOption{0, "skip-compress", true, suffix_list,
                "[A-Za-z0-9]{1,16}(/[A-Za-z0-9]{1,16}){0,63}", ok,
                "suffixes sent uncompressed; no wildcards accepted"},
    RsyncOption{0, "no-specials", false, nullptr, "", ok, "lists fewer file types"},
    RsyncOption{0, "specials", false, nullptr, "", ok, "lists sockets and fifos as metadata"},
    RsyncOption{0, "msgs2stderr", false, nullptr, "", ok, "where messages go (the client)"},
    RsyncOption{0, "no-msgs2stderr", false, nullptr, "", ok, "where messages go (the client)"},
    RsyncOption{0, "timeout", true, unsigned_number, "[0-9]{1,10}", ok,
                "I/O timeout in seconds; can only end the transfer sooner"},
    RsyncOption{0, "bwlimit", true, unsigned_number, "[0-9]{1,10}", ok,
                "bandwidth cap in KiB/s (the client converts units to a number)"},
    RsyncOption{0, "max-alloc", true, size_value, "[0-9]{1,12}[KMGkmg]?", ok,
                "caps the server's memory use"},
    RsyncOption{0, "ignore-missing-args", false, nullptr, "", ok,
                "a vanished source is skipped instead of reported"},
    RsyncOption{0, "checksum-seed", true, signed_number, "-?[0-9]{1,10}", ok,
                "a number for the block checksums"},
    RsyncOption{0, "ignore-errors", false, nullptr, "", ok, "only matters to deleting receivers"},
    RsyncOption{0, "safe-links", false, nullptr, "", ok, "skips symlinks pointing out of the tree"},
    RsyncOption{0, "numeric-ids", false, nullptr, "", ok, "sends ids without names"},
    RsyncOption{0, "use-qsort", false, nullptr, "", ok, "sorting algorithm of the file list"},
    RsyncOption{0, "info", true, info_words, "[A-Za-z]{1,12}[0-9]?(,[A-Za-z]{1,12}[0-9]?){0,31}",
                ok, "which messages the server prints (e.g. --info=STATS2)"},
    RsyncOption{0, "append", false, nullptr, "", ok,
                "receiver-side update mode (sent once or twice for --append-verify)"},
    RsyncOption{0, "inplace", false, nullptr, "", ok, "receiver-side update mode"},
    RsyncOption{0, "backup-dir", true, client_directory, "[^\\x00-\\x1f\\x7f]{1,3968}", ok,
                "where the client keeps its old copies (sent whenever it uses --backup-dir): a "
                "path on the client, not a staging path; a sender only stores it and never "
                "opens, creates or stats it (only rsync's receiver makes backups); passed on as "
                "one --backup-dir=VALUE word"},
    RsyncOption{0, "suffix", true, backup_suffix, "[^/\\x00-\\x1f\\x7f]{1,255}", ok,
                "the suffix of the client's old copies; a sender only stores it"},
    RsyncOption{0, "files-from", true, stdin_only, "-", ok,
                "only '-': the list of names travels over the connection and each name is "
                "resolved below the checked source directory, confined by --confine-root; a "
                "server-side list file would let the client name any file"},
    RsyncOption{0, "from0", false, nullptr, "", ok, "the --files-from list is NUL-separated"},
    RsyncOption{0, "no-relative", false, nullptr, "", ok, "turns -R off again"},
    RsyncOption{0, "no-implied-dirs", false, nullptr, "", ok, "with -R, fewer directories sent"},
    RsyncOption{0, "open-noatime", false, nullptr, "", ok, "reads without touching atimes"},
    RsyncOption{0, "iconv", true, charset_name, "\\.|[A-Za-z0-9][A-Za-z0-9._:+-]{0,39}", ok,
                "converts file names to a charset"},
    // -- refused long options, with the reason the provider is told --------------------------
    RsyncOption{'e', "rsh", true, nullptr, "", no, "names a remote shell command to run"},
    RsyncOption{0, "rsync-path", true, nullptr, "", no, "names a program to run"},
    RsyncOption{0, "daemon", false, nullptr, "", no, "starts an rsync daemon"},
    RsyncOption{0, "config", true, nullptr, "", no, "reads a daemon config file"},
    RsyncOption{0, "dparam", true, nullptr, "", no, "daemon configuration"},
    RsyncOption{0, "server", false, nullptr, "", no, "may appear only once, first"},
    RsyncOption{0, "sender", false, nullptr, "", no, "may appear only once, after --server"},
    RsyncOption{0, "protect-args", false, nullptr, "", no,
                "arguments inside the protocol cannot be checked: pull without -s"},
    RsyncOption{0, "include-from", true, nullptr, "", no, "reads a server-side file"},
    RsyncOption{0, "exclude-from", true, nullptr, "", no, "reads a server-side file"},
    RsyncOption{0, "filter", true, nullptr, "", no,
                "merge-file rules read server-side files; rules travel in the protocol"},
    RsyncOption{0, "include", true, nullptr, "", no, "filter rules travel in the protocol"},
    RsyncOption{0, "exclude", true, nullptr, "", no, "filter rules travel in the protocol"},
    RsyncOption{0, "log-file", true, nullptr, "", no, "writes a server-side file"},
    RsyncOption{0, "log-file-format", true, nullptr, "", no, "goes with --log-file"},
    RsyncOption{0, "log-format", true, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "out-format", true, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "write-batch", true, nullptr, "", no, "writes a server-side file"},
    RsyncOption{0, "only-write-batch", true, nullptr, "", no, "writes a server-side file"},
    RsyncOption{0, "read-batch", true, nullptr, "", no, "reads a server-side file"},
    RsyncOption{0, "password-file", true, nullptr, "", no, "reads a server-side file"},
    RsyncOption{0, "early-input", true, nullptr, "", no, "reads a server-side file"},
    RsyncOption{'T', "temp-dir", true, nullptr, "", no, "receiver writes server-side files"},
    RsyncOption{0, "partial-dir", true, nullptr, "", no, "receiver writes server-side files"},
    RsyncOption{0, "compare-dest", true, nullptr, "", no, "reads a server-side directory"},
    RsyncOption{0, "copy-dest", true, nullptr, "", no, "reads a server-side directory"},
    RsyncOption{0, "link-dest", true, nullptr, "", no, "reads a server-side directory"},
    RsyncOption{0, "copy-unsafe-links", false, nullptr, "", no, "follows symlinks out of the tree"},
    RsyncOption{0, "no-munge-links", false, nullptr, "", no, "turns a server-side safety off"},
    RsyncOption{0, "insecure-links", false, nullptr, "", no, "turns rsync's own path walk off"},
    RsyncOption{0, "confine-root", true, nullptr, "", no, "set by offstage-shell itself"},
    RsyncOption{0, "copy-devices", false, nullptr, "", no, "reads device contents"},
    RsyncOption{0, "write-devices", false, nullptr, "", no, "writes to devices"},
    RsyncOption{0, "remove-source-files", false, nullptr, "", no, "deletes staged files"},
    RsyncOption{0, "remove-sent-files", false, nullptr, "", no, "deletes staged files"},
    RsyncOption{0, "delete-missing-args", false, nullptr, "", no, "deletes on the server"},
    RsyncOption{0, "delete", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "delete-before", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "delete-during", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "delete-delay", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "delete-after", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "delete-excluded", false, nullptr, "", no, "only sent for uploads"},
    RsyncOption{0, "mkpath", false, nullptr, "", no, "creates server-side directories"},
    RsyncOption{0, "debug", true, nullptr, "", no,
                "debug output can reveal server paths and internals"},
    RsyncOption{0, "fake-super", false, nullptr, "", no, "stores privileged attributes in xattrs"},
    RsyncOption{0, "super", false, nullptr, "", no, "receiver-side privilege"},
    RsyncOption{0, "usermap", true, nullptr, "", no, "receiver-side ownership rewriting"},
    RsyncOption{0, "groupmap", true, nullptr, "", no, "receiver-side ownership rewriting"},
    RsyncOption{0, "chown", true, nullptr, "", no, "receiver-side ownership rewriting"},
    RsyncOption{0, "old-args", false, nullptr, "", no, "asks the server to split words again"},
};

} // namespace

std::span<const RsyncOption> RsyncOptionTable::rows() {
    return table;
}

const RsyncOption* RsyncOptionTable::find_letter(char letter) {
    for (const RsyncOption& row : table) {
        if (letter != 0 && row.letter == letter) {
            return &row;
        }
    }
    return nullptr;
}

const RsyncOption* RsyncOptionTable::find_long(std::string_view name) {
    for (const RsyncOption& row : table) {
        if (!name.empty() && row.long_name == name) {
            return &row;
        }
    }
    return nullptr;
}

} // namespace offstage::forced_shell
