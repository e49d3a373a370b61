#include "stager/restore/seal_check.hpp"

#include "platform/printable_name.hpp"
#include "platform/staging_layout.hpp"
#include "stager/restore/day_directory.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <cstring>
#include <set>
#include <sys/stat.h>

namespace offstage::restore {

namespace {

namespace layout = platform::staging_layout;

// The same bounds as `offstage verify`: a hostile tree cannot make us hold more.
constexpr std::size_t max_signature_size = 64 * 1024;
constexpr std::size_t max_sums_size = 64 * 1024 * 1024;

bool newer(const struct timespec& a, const struct timespec& b) {
    return a.tv_sec != b.tv_sec ? a.tv_sec > b.tv_sec : a.tv_nsec > b.tv_nsec;
}

class Sealer {
public:
    Sealer(const std::filesystem::path& day_dir,
           const std::optional<staging::MinisignPublicKey>& key,
           const std::map<std::string, std::uint64_t>& recorded_sizes)
        : day_dir_(day_dir)
        , key_(key)
        , recorded_sizes_(recorded_sizes) {}

    SealCheck run() {
        try {
            DayDirectory directory(day_dir_);
            check(directory);
        } catch (const std::system_error& error) {
            problem(error.what());
        }
        if (!result_.problems.empty()) {
            result_.state = SealCheck::State::broken;
        } else if (!key_) {
            result_.state = SealCheck::State::signature_unchecked;
        }
        return result_;
    }

private:
    void problem(const std::string& text) {
        result_.problems.push_back(platform::printable_name(text));
    }

    // A plain file of the layout, whole, with its stat; nullopt after a problem.
    std::optional<std::string> read_plain(const DayDirectory& directory, std::string_view name,
                                          std::size_t limit, struct stat& info) {
        DayDirectory::Opened opened = directory.open_file(name);
        if (opened.state != DayDirectory::Opened::State::open) {
            problem(std::string(name) + ": " + opened.problem);
            return std::nullopt;
        }
        ::fstat(opened.fd.get(), &info);
        WholeFile whole = read_whole(opened.fd.get(), limit);
        if (!whole.content) {
            problem(std::string(name) + ": " + whole.problem);
        }
        return whole.content;
    }

    void check(const DayDirectory& directory) {
        struct stat signature_info {};
        struct stat sums_info {};
        std::optional<std::string> signature =
            read_plain(directory, layout::signature_name, max_signature_size, signature_info);
        std::optional<std::string> sums_text =
            read_plain(directory, layout::sums_name, max_sums_size, sums_info);
        if (!signature || !sums_text) {
            return;
        }
        std::string day = day_dir_.filename().string();
        if (key_) {
            try {
                std::string comment = staging::verify_minisign(
                    *key_, *signature,
                    {reinterpret_cast<const std::uint8_t*>(sums_text->data()), sums_text->size()});
                std::optional<std::string> signed_day = signed_comment_value(comment, "day");
                if (signed_day != day) {
                    problem("signature: it is for day " + signed_day.value_or("(none)") +
                            ", not for " + day);
                }
            } catch (const staging::SignatureError& error) {
                problem(std::string("signature: ") + error.what());
            }
        }
        staging::Sha256Sums sums;
        try {
            sums = staging::parse_sha256sums(*sums_text);
        } catch (const staging::SumsError& error) {
            problem(std::string("SHA256SUMS: ") + error.what());
            return;
        }
        const struct timespec signed_at = signature_info.st_mtim;
        if (newer(sums_info.st_mtim, signed_at)) {
            problem("SHA256SUMS: modified after the signature was written");
        }
        result_.files = sums.size();
        for (const auto& [name, digest] : sums) {
            check_listed(directory, name, signed_at);
        }
        for (const DayDirectory::Entry& entry : directory.list()) {
            if (entry.name != layout::sums_name && entry.name != layout::signature_name &&
                !sums.contains(entry.name)) {
                problem(entry.name + ": not listed in SHA256SUMS (a " + entry.kind + ")");
            }
        }
    }

    void check_listed(const DayDirectory& directory, const std::string& name,
                      const struct timespec& signed_at) {
        DayDirectory::Opened opened = directory.open_file(name);
        if (opened.state != DayDirectory::Opened::State::open) {
            problem(name + ": " + opened.problem);
            return;
        }
        struct stat info {};
        if (::fstat(opened.fd.get(), &info) != 0) {
            problem(name + ": " + std::strerror(errno));
            return;
        }
        if (auto recorded = recorded_sizes_.find(name); recorded != recorded_sizes_.end()) {
            ++result_.sizes_checked;
            if (static_cast<std::uint64_t>(info.st_size) != recorded->second) {
                problem(name + ": " + std::to_string(info.st_size) +
                        " bytes, the catalog recorded " + std::to_string(recorded->second));
            }
        }
        if (newer(info.st_mtim, signed_at)) {
            problem(name + ": modified after the signature was written");
        }
    }

    const std::filesystem::path& day_dir_;
    const std::optional<staging::MinisignPublicKey>& key_;
    const std::map<std::string, std::uint64_t>& recorded_sizes_;
    SealCheck result_;
};

} // namespace

std::string_view to_string(SealCheck::State state) {
    switch (state) {
    case SealCheck::State::intact:
        return "intact";
    case SealCheck::State::broken:
        return "broken";
    case SealCheck::State::signature_unchecked:
        return "signature_unchecked";
    }
    return "broken";
}

SealCheck check_seal(const std::filesystem::path& day_dir,
                     const std::optional<staging::MinisignPublicKey>& key,
                     const std::map<std::string, std::uint64_t>& recorded_sizes) {
    return Sealer(day_dir, key, recorded_sizes).run();
}

std::optional<std::string> signed_comment_value(std::string_view comment, std::string_view key) {
    std::string prefix = std::string(key) + "=";
    while (!comment.empty()) {
        std::size_t space = comment.find(' ');
        std::string_view word = comment.substr(0, space);
        if (word.starts_with(prefix)) {
            return std::string(word.substr(prefix.size()));
        }
        if (space == std::string_view::npos) {
            break;
        }
        comment.remove_prefix(space + 1);
    }
    return std::nullopt;
}

} // namespace offstage::restore
