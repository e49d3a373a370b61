// What `vos listvol SERVER [PARTITION] -format` and `vos examine VOLUME -format` say, parsed from
// their machine-readable form (never from the columns, whose widths and words vary with options
// and versions). Every line is accounted for: a line the parser does not know is an error naming
// its number, so a changed vos output fails loudly instead of dropping volumes.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::sources::afs {

// Output of vos that does not read as documented; what() names the line.
class VosOutputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

enum class VolumeType { read_write, read_only, backup, unknown };
// How the volserver reported the volume: only `ok` entries carry a name and dates.
enum class VolumeStatus { ok, busy, unattachable };

struct VosVolume {
    std::string name; // empty unless status is ok
    std::uint32_t id = 0;
    VolumeType type = VolumeType::unknown;
    VolumeStatus status = VolumeStatus::ok;
    std::string partition;        // "/vicepa"
    std::uint32_t parent_id = 0;  // the RW volume of a clone
    std::uint32_t backup_id = 0;  // its .backup clone (RW only), 0 when none
    std::int64_t update_date = 0; // seconds since the epoch: the last change of its content
    bool in_use = true;           // "inUse Y": on-line
    std::uint32_t file_count = 0; // "filecount"
    std::uint32_t max_quota = 0;  // "maxquota", KiB
};

struct VosListing {
    std::vector<VosVolume> volumes; // in the order listed
    // The sum of the "Total number of volumes on server S partition P: N" headers: what the
    // volserver said it has, which the entries must add up to.
    std::uint64_t announced = 0;
};

// `vos listvol ... -format`: BEGIN_OF_ENTRY/END_OF_ENTRY blocks of "key<TAB>value" lines (a busy
// or unattachable volume is a block with only id, serv, part and status), a header per partition,
// and, from other vos versions and modes, "**** Volume N is busy ****" or "**** Could not attach
// volume N ****" lines. Throws VosOutputError naming the line.
VosListing parse_listvol_format(std::string_view text);

// `vos examine VOLUME -format`: the same "key<TAB>value" lines for one volume, then the VLDB
// entry in prose (ignored). Throws VosOutputError.
VosVolume parse_examine_format(std::string_view text);

// "RW", "RO", "BK".
std::string_view to_string(VolumeType type);

} // namespace offstage::sources::afs
