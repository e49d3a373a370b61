#include "stager/sources/afs/vos_listing.hpp"

#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"

#include <charconv>
#include <optional>

namespace offstage::sources::afs {

namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\r')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    return text;
}

[[noreturn]] void fail(std::size_t line, const std::string& message, std::string_view text) {
    throw VosOutputError("vos output line " + std::to_string(line) + ": " + message + ": '" +
                         platform::printable_name(text) + "'");
}

template <typename Number>
std::optional<Number> number(std::string_view text) {
    Number value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

// Splits "key<TAB>...value" into key and the first field of the value (dates are followed by a
// tab and their ctime(3) text, "(Optional)" markers likewise).
std::pair<std::string_view, std::string_view> key_value(std::string_view line) {
    std::size_t tab = line.find('\t');
    if (tab == std::string_view::npos) {
        return {trim(line), {}};
    }
    std::string_view key = line.substr(0, tab);
    std::string_view rest = line.substr(tab);
    while (!rest.empty() && rest.front() == '\t') {
        rest.remove_prefix(1);
    }
    std::size_t end = rest.find('\t');
    return {key, trim(rest.substr(0, end))};
}

// One "key<TAB>value" line into `volume`; keys offstage does not use are accepted as they come.
void apply(VosVolume& volume, std::string_view key, std::string_view value, std::size_t line,
           std::string_view text) {
    auto id = [&](std::uint32_t& into) {
        auto parsed = number<std::uint32_t>(value);
        if (!parsed) {
            fail(line, "expected a volume id after '" + std::string(key) + "'", text);
        }
        into = *parsed;
    };
    if (key == "name") {
        if (value.empty()) {
            fail(line, "expected a volume name", text);
        }
        volume.name = std::string(value);
    } else if (key == "id") {
        id(volume.id);
    } else if (key == "parentID") {
        id(volume.parent_id);
    } else if (key == "backupID") {
        id(volume.backup_id);
    } else if (key == "part") {
        volume.partition = std::string(value);
    } else if (key == "status") {
        if (value == "OK") {
            volume.status = VolumeStatus::ok;
        } else if (value == "BUSY") {
            volume.status = VolumeStatus::busy;
        } else if (value == "UNATTACHABLE") {
            volume.status = VolumeStatus::unattachable;
        } else {
            fail(line, "expected status OK, BUSY or UNATTACHABLE", text);
        }
    } else if (key == "type") {
        volume.type = value == "RW"   ? VolumeType::read_write
                      : value == "RO" ? VolumeType::read_only
                      : value == "BK" ? VolumeType::backup
                                      : VolumeType::unknown;
    } else if (key == "updateDate") {
        auto parsed = number<std::int64_t>(value);
        if (!parsed) {
            fail(line, "expected seconds since the epoch after 'updateDate'", text);
        }
        volume.update_date = *parsed;
    } else if (key == "filecount" || key == "maxquota") {
        auto parsed = number<std::uint32_t>(value);
        if (!parsed) {
            fail(line, "expected a number after '" + std::string(key) + "'", text);
        }
        (key == "filecount" ? volume.file_count : volume.max_quota) = *parsed;
    } else if (key == "inUse") {
        volume.in_use = value == "Y";
    }
}

// "**** Volume N is busy ****" / "**** Could not attach volume N ****" (vos without -format, and
// some versions with it), "BUSY_VOL<TAB>N" / "COULD_NOT_ATTACH<TAB>N" (-extended -format).
std::optional<VosVolume> problem_line(std::string_view line, std::size_t number_of_line) {
    auto with_id = [&](std::string_view digits, VolumeStatus status) {
        auto id = number<std::uint32_t>(trim(digits));
        if (!id) {
            fail(number_of_line, "expected a volume id", line);
        }
        VosVolume volume;
        volume.id = *id;
        volume.status = status;
        return volume;
    };
    constexpr std::string_view busy_prefix = "**** Volume ", busy_suffix = " is busy ****";
    constexpr std::string_view attach_prefix = "**** Could not attach volume ";
    constexpr std::string_view stars = " ****";
    if (line.starts_with(busy_prefix) && line.ends_with(busy_suffix)) {
        return with_id(
            line.substr(busy_prefix.size(), line.size() - busy_prefix.size() - busy_suffix.size()),
            VolumeStatus::busy);
    }
    if (line.starts_with(attach_prefix) && line.ends_with(stars)) {
        return with_id(
            line.substr(attach_prefix.size(), line.size() - attach_prefix.size() - stars.size()),
            VolumeStatus::unattachable);
    }
    auto [key, value] = key_value(line);
    if (key == "BUSY_VOL" || key == "VOLUME_BUSY") {
        return with_id(value, VolumeStatus::busy);
    }
    if (key == "COULD_NOT_ATTACH" || key == "COULD_NOT_ATTACH_VOLUME") {
        return with_id(value, VolumeStatus::unattachable);
    }
    return std::nullopt;
}

void check_entry(const VosVolume& volume, bool saw_id, std::size_t line) {
    if (!saw_id) {
        fail(line, "expected an 'id' line in the entry ending here", "END_OF_ENTRY");
    }
    if (volume.status == VolumeStatus::ok && volume.name.empty()) {
        fail(line, "expected a 'name' line in the entry ending here", "END_OF_ENTRY");
    }
}

} // namespace

std::string_view to_string(VolumeType type) {
    switch (type) {
    case VolumeType::read_write:
        return "RW";
    case VolumeType::read_only:
        return "RO";
    case VolumeType::backup:
        return "BK";
    case VolumeType::unknown:
        break;
    }
    return "?";
}

VosListing parse_listvol_format(std::string_view text) {
    VosListing listing;
    std::optional<VosVolume> entry;
    bool saw_id = false;
    std::size_t line_number = 0;
    constexpr std::string_view total_prefix = "Total number of volumes on server ";
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++line_number;
        std::string_view line = trim(raw);
        if (entry) {
            if (line == "END_OF_ENTRY") {
                check_entry(*entry, saw_id, line_number);
                listing.volumes.push_back(std::move(*entry));
                entry.reset();
                continue;
            }
            if (line.empty() || line == "BEGIN_OF_ENTRY") {
                fail(line_number, "expected END_OF_ENTRY before", line);
            }
            auto [key, value] = key_value(raw);
            saw_id = saw_id || key == "id";
            apply(*entry, key, value, line_number, raw);
            continue;
        }
        if (line.empty()) {
            continue;
        }
        if (line == "BEGIN_OF_ENTRY") {
            entry.emplace();
            saw_id = false;
        } else if (line.starts_with(total_prefix)) {
            std::size_t colon = line.rfind(':');
            auto count = colon == std::string_view::npos
                             ? std::nullopt
                             : number<std::uint64_t>(trim(line.substr(colon + 1)));
            if (!count) {
                fail(line_number, "expected ': N' at the end of the partition header", line);
            }
            listing.announced += *count;
        } else if (line.starts_with("Total volumes")) {
            continue; // the trailer of the columns: its numbers repeat the entries
        } else if (auto problem = problem_line(line, line_number)) {
            listing.volumes.push_back(*problem);
        } else {
            fail(line_number, "expected BEGIN_OF_ENTRY, a partition header or a busy volume", line);
        }
    }
    if (entry) {
        fail(line_number, "expected END_OF_ENTRY before the end of the output", "");
    }
    return listing;
}

VosVolume parse_examine_format(std::string_view text) {
    VosVolume volume;
    bool saw_id = false;
    std::size_t line_number = 0;
    while (!text.empty()) {
        std::size_t end = text.find('\n');
        std::string_view raw = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        ++line_number;
        if (trim(raw).empty()) {
            break; // the VLDB entry follows in prose
        }
        auto [key, value] = key_value(raw);
        if (raw.find('\t') == std::string_view::npos) {
            fail(line_number, "expected 'key<TAB>value'", raw);
        }
        saw_id = saw_id || key == "id";
        apply(volume, key, value, line_number, raw);
    }
    if (!saw_id || (volume.status == VolumeStatus::ok && volume.name.empty())) {
        fail(line_number, "expected the volume's name and id", "");
    }
    return volume;
}

} // namespace offstage::sources::afs
