#include "stager/restore/day_verifier.hpp"

#include "platform/printable_name.hpp"
#include "platform/staging_layout.hpp"
#include "stager/report/report_json.hpp"
#include "stager/restore/artifact_check.hpp"
#include "stager/restore/day_directory.hpp"
#include "stager/restore/seal_check.hpp"
#include "stager/staging/artifact_name.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <openssl/evp.h>
#include <optional>
#include <set>
#include <unistd.h>

namespace offstage::restore {

namespace {

namespace layout = platform::staging_layout;

// Plain files are read whole; a hostile copy cannot make us hold more than these.
constexpr std::size_t max_signature_size = 64 * 1024;
constexpr std::size_t max_sums_size = 64 * 1024 * 1024;
constexpr std::size_t max_report_size = 16 * 1024 * 1024;

std::span<const std::uint8_t> bytes_of(const std::string& text) {
    return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

staging::Sha256Digest sha256_of(const std::string& text) {
    staging::Sha256Digest digest{};
    unsigned int size = 0;
    EVP_Digest(text.data(), text.size(), digest.data(), &size, EVP_sha256(), nullptr);
    return digest;
}

// The name of the directory itself: "/x/2026-11-22/" and "." (inside it) give the day.
std::string directory_name(const std::filesystem::path& path) {
    std::filesystem::path absolute = std::filesystem::absolute(path).lexically_normal();
    if (absolute.filename().empty()) {
        absolute = absolute.parent_path();
    }
    return absolute.filename().string();
}

class Verifier {
public:
    Verifier(const VerifyOptions& options, const std::function<void(const VerdictLine&)>& report)
        : options_(options)
        , emit_(report)
        , directory_(options.day_dir) {
        summary_.key_id = options.public_key.key_id_hex();
    }

    VerifySummary run() {
        std::string dir_name = directory_name(options_.day_dir);
        std::optional<std::string> signature =
            read_plain(std::string(layout::signature_name), max_signature_size, "signature");
        sums_text_ = read_plain(std::string(layout::sums_name), max_sums_size, "SHA256SUMS");
        bool signed_ok = check_signature(signature);
        check_day(signed_ok, dir_name);
        check_sums_parse();
        check_files();
        check_report_against_tree();
        return summary_;
    }

private:
    void line(Verdict verdict, std::string item, std::string detail, std::string size = {}) {
        if (verdict == Verdict::bad) {
            ++summary_.bad;
        } else if (verdict == Verdict::error) {
            ++summary_.errors;
        }
        emit_({verdict, platform::printable_name(item), size, platform::printable_name(detail)});
    }

    // A plain file of the layout, whole, or nullopt after a line saying why not.
    std::optional<std::string> read_plain(const std::string& name, std::size_t limit,
                                          const std::string& item) {
        DayDirectory::Opened opened = directory_.open_file(name);
        if (opened.state != DayDirectory::Opened::State::open) {
            line(opened.state == DayDirectory::Opened::State::read_error ? Verdict::error
                                                                         : Verdict::bad,
                 item, name + ": " + opened.problem);
            return std::nullopt;
        }
        WholeFile whole = read_whole(opened.fd.get(), limit);
        if (!whole.content) {
            line(whole.read_error ? Verdict::error : Verdict::bad, item,
                 name + ": " + whole.problem);
        }
        return whole.content;
    }

    bool check_signature(const std::optional<std::string>& signature) {
        if (!signature || !sums_text_) {
            if (signature) {
                line(Verdict::skipped, "signature", "not checked: no SHA256SUMS to check it over");
            }
            return false;
        }
        try {
            comment_ =
                staging::verify_minisign(options_.public_key, *signature, bytes_of(*sums_text_));
        } catch (const staging::SignatureError& error) {
            line(Verdict::bad, "signature", error.what());
            return false;
        }
        line(Verdict::ok, "signature",
             "SHA256SUMS signed by key " + summary_.key_id + ", trusted comment \"" + comment_ +
                 "\"");
        return true;
    }

    void check_day(bool signed_ok, const std::string& dir_name) {
        bool named_as_day = layout::is_day_name(dir_name);
        if (!signed_ok) {
            summary_.day = named_as_day ? dir_name : "";
            line(Verdict::skipped, "day", "not checked: no valid signature names a day");
            return;
        }
        std::optional<std::string> signed_day = signed_comment_value(comment_, "day");
        if (!signed_day || !layout::is_day_name(*signed_day)) {
            summary_.day = named_as_day ? dir_name : "";
            line(Verdict::bad, "day", "the signed comment names no day");
            return;
        }
        if (!named_as_day) {
            summary_.day = *signed_day;
            line(Verdict::ok, "day",
                 *signed_day + ", taken from the signed comment: the directory's name, " +
                     dir_name + ", is not a day");
            return;
        }
        summary_.day = dir_name;
        if (*signed_day != dir_name) {
            line(Verdict::bad, "day",
                 "the signature is for " + *signed_day + ", not for this directory, " + dir_name +
                     ": a tree replayed under another day's name");
            return;
        }
        line(Verdict::ok, "day", dir_name + ", as the signed comment says");
    }

    void check_sums_parse() {
        if (!sums_text_) {
            return;
        }
        try {
            sums_ = staging::parse_sha256sums(*sums_text_);
        } catch (const staging::SumsError& error) {
            line(Verdict::bad, "SHA256SUMS", error.what());
            return;
        }
        summary_.sums = sums_;
        line(Verdict::ok, "SHA256SUMS", std::to_string(sums_->size()) + " files listed");
    }

    void check_files() {
        std::set<std::string> names;
        std::map<std::string, std::string> found;
        for (auto& entry : directory_.list()) {
            if (entry.name == layout::sums_name || entry.name == layout::signature_name) {
                continue;
            }
            names.insert(entry.name);
            found[entry.name] = entry.kind;
        }
        if (sums_) {
            for (const auto& [name, digest] : *sums_) {
                names.insert(name);
            }
            if (!sums_->contains(std::string(layout::report_name)) &&
                !found.contains(std::string(layout::report_name))) {
                line(Verdict::bad, std::string(layout::report_name),
                     "missing, and not listed in SHA256SUMS");
            }
        }
        for (const std::string& name : names) {
            if (!sums_) {
                line(Verdict::skipped, name, "not checked: no usable SHA256SUMS");
                continue;
            }
            auto listed = sums_->find(name);
            if (listed == sums_->end()) {
                line(Verdict::bad, name, "not listed in SHA256SUMS (a " + found[name] + ")");
                continue;
            }
            check_listed(name, listed->second);
        }
    }

    void check_listed(const std::string& name, const staging::Sha256Digest& digest) {
        bool is_report = name == layout::report_name;
        if (!is_report && !staging::is_artifact_name(name)) {
            line(Verdict::bad, name, "listed, but not a name of the layout (not opened)");
            return;
        }
        ++summary_.files;
        DayDirectory::Opened opened = directory_.open_file(name);
        if (opened.state != DayDirectory::Opened::State::open) {
            line(opened.state == DayDirectory::Opened::State::read_error ? Verdict::error
                                                                         : Verdict::bad,
                 name, opened.problem);
            return;
        }
        if (is_report) {
            check_report(opened, digest);
            return;
        }
        ArtifactCheck check;
        try {
            check = check_artifact(opened.fd.get(), name, options_.identities);
        } catch (const std::system_error& error) {
            line(Verdict::error, name, error.code().message() + " while reading it");
            return;
        }
        summary_.bytes += check.bytes;
        artifact_sizes_[name] = check.bytes;
        if (check.sha256 != digest) {
            line(Verdict::bad, name, "sha256 mismatch");
            return;
        }
        if (check.problem) {
            line(Verdict::bad, name, *check.problem);
            return;
        }
        std::string detail;
        if (check.decrypted) {
            ++summary_.decrypted;
            detail = "decrypted";
            if (check.tar_entries) {
                detail += ", " + grouped(*check.tar_entries) +
                          (*check.tar_entries == 1 ? " entry" : " entries");
            } else {
                detail += ", " + human_bytes(check.plaintext_bytes) + " of content";
            }
        } else {
            detail = "sha256, age header (" + std::to_string(check.recipients) +
                     (check.recipients == 1 ? " recipient" : " recipients") + "), whole chunks";
        }
        line(Verdict::ok, name, detail, human_bytes(check.bytes));
    }

    void check_report(const DayDirectory::Opened& opened, const staging::Sha256Digest& digest) {
        WholeFile whole = read_whole(opened.fd.get(), max_report_size);
        if (!whole.content) {
            line(whole.read_error ? Verdict::error : Verdict::bad, std::string(layout::report_name),
                 whole.problem);
            return;
        }
        const std::string& content = *whole.content;
        summary_.bytes += content.size();
        if (sha256_of(content) != digest) {
            line(Verdict::bad, std::string(layout::report_name), "sha256 mismatch");
            return;
        }
        try {
            parsed_report_ = report::parse_report_json(content);
        } catch (const report::ReportJsonError& error) {
            line(Verdict::bad, std::string(layout::report_name), error.what());
            return;
        }
        line(Verdict::ok, std::string(layout::report_name),
             "sha256, " + std::string(report::report_format) + ", " +
                 std::string(report::to_string(parsed_report_->status)) + ", " +
                 std::to_string(parsed_report_->sources.size()) + " sources",
             human_bytes(content.size()));
    }

    // report.json must describe this tree: its day, and exactly its artifacts with their sizes.
    void check_report_against_tree() {
        if (!parsed_report_) {
            return;
        }
        const std::string item = std::string(layout::report_name);
        if (!summary_.day.empty() && parsed_report_->day != summary_.day) {
            line(Verdict::bad, item,
                 "says day " + parsed_report_->day + ", the tree is " + summary_.day);
            return;
        }
        std::map<std::string, std::uint64_t> reported;
        for (const auto& source : parsed_report_->sources) {
            for (const auto& artifact : source.artifacts) {
                reported[artifact.name] = artifact.bytes;
            }
        }
        std::map<std::string, std::uint64_t> listed;
        for (const auto& [name, digest] : *sums_) {
            if (name != layout::report_name) {
                listed[name] = artifact_sizes_.contains(name) ? artifact_sizes_[name] : 0;
            }
        }
        for (const auto& [name, bytes] : reported) {
            auto there = listed.find(name);
            if (there == listed.end()) {
                line(Verdict::bad, item, "names an artifact the tree does not list: " + name);
                return;
            }
            if (artifact_sizes_.contains(name) && there->second != bytes) {
                line(Verdict::bad, item,
                     "gives " + name + " " + std::to_string(bytes) + " bytes, the file has " +
                         std::to_string(there->second));
                return;
            }
        }
        for (const auto& [name, bytes] : listed) {
            if (!reported.contains(name)) {
                line(Verdict::bad, item, "does not name the listed artifact " + name);
                return;
            }
        }
        line(Verdict::ok, item,
             "describes this tree: day " + parsed_report_->day + ", " +
                 std::to_string(reported.size()) + " artifacts with their sizes");
    }

    const VerifyOptions& options_;
    const std::function<void(const VerdictLine&)>& emit_;
    DayDirectory directory_;
    VerifySummary summary_;
    std::optional<std::string> sums_text_;
    std::optional<staging::Sha256Sums> sums_;
    std::string comment_;
    std::optional<report::Report> parsed_report_;
    std::map<std::string, std::uint64_t> artifact_sizes_;
};

} // namespace

VerifySummary verify_day(const VerifyOptions& options,
                         const std::function<void(const VerdictLine&)>& report) {
    return Verifier(options, report).run();
}

std::string format_line(const VerdictLine& line) {
    const char* tag = "ok  ";
    switch (line.verdict) {
    case Verdict::ok:
        tag = "ok  ";
        break;
    case Verdict::bad:
        tag = "BAD ";
        break;
    case Verdict::error:
        tag = "ERR ";
        break;
    case Verdict::skipped:
        tag = "--  ";
        break;
    }
    std::string text = tag + line.item;
    if (!line.size.empty()) {
        text += "  " + line.size;
    }
    return text + "  " + line.detail;
}

std::string format_summary(const VerifySummary& summary, bool decrypting) {
    std::string day = summary.day.empty() ? "the tree (day unknown)" : summary.day;
    std::string counts = std::to_string(summary.files) + " files, " + human_bytes(summary.bytes);
    if (summary.bad > 0) {
        return "NOT VERIFIED: " + day + ": " + std::to_string(summary.bad) +
               (summary.bad == 1 ? " check" : " checks") +
               " failed (BAD above); do not trust this tree" +
               (summary.errors > 0
                    ? ", and " + std::to_string(summary.errors) + " could not be read (ERR above)"
                    : std::string());
    }
    if (summary.errors > 0) {
        return "NOT VERIFIED: " + day + ": " + std::to_string(summary.errors) +
               (summary.errors == 1 ? " item" : " items") +
               " could not be read (ERR above); nothing failed among the rest";
    }
    std::string text = "verified " + day + ": " + counts + ", signed by key " + summary.key_id;
    if (decrypting) {
        text += ", " + std::to_string(summary.decrypted) + " artifacts decrypted to the end";
    } else {
        text += "; artifacts not decrypted (give -i IDENTITY to read them to the end)";
    }
    return text;
}

std::string human_bytes(std::uint64_t bytes) {
    if (bytes < 1000) {
        return std::to_string(bytes) + " B";
    }
    static constexpr const char* units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
    double value = static_cast<double>(bytes) / 1000.0;
    std::size_t unit = 0;
    while (value >= 999.95 && unit + 1 < std::size(units)) {
        value /= 1000.0;
        ++unit;
    }
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

std::string grouped(std::uint64_t number) {
    std::string digits = std::to_string(number);
    std::string text;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            text += ',';
        }
        text += digits[i];
    }
    return text;
}

} // namespace offstage::restore
