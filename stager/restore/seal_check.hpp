// The cheap check of a published day that `offstage status` runs on the newest complete tree
// (docs/offstage-status.8): the signature over SHA256SUMS with the host's public key, naming
// this day; every file SHA256SUMS lists present as a regular file (no symlink followed), with the
// size the catalog recorded for it where it recorded one, and not modified after the signature
// was written; nothing unlisted. It reads SHA256SUMS and its signature and stats the rest: it
// never reads an artifact, so a byte changed in place whose mtime was set back is found only by
// `offstage verify`, which hashes every file.
#pragma once

#include "stager/staging/minisign.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::restore {

struct SealCheck {
    enum class State {
        intact,              // every check held, the signature included
        broken,              // some check failed: `problems` says which
        signature_unchecked, // no public key (`key_problem` of check_seal): the rest held
    };
    State state = State::intact;
    std::vector<std::string> problems; // printable: names from the tree are escaped
    std::size_t files = 0;             // files SHA256SUMS lists
    std::size_t sizes_checked = 0;     // of them, with a size the catalog recorded
};
std::string_view to_string(SealCheck::State state); // "intact", "broken", "signature_unchecked"

// `key`: the host's public key, or nullopt with `key_problem` saying why there is none (it then
// becomes a problem only if something else is wrong too). `recorded_sizes`: name -> bytes, as
// the catalog recorded the day's artifacts. Never throws for what it finds; a day directory that
// cannot be opened is a problem too.
SealCheck check_seal(const std::filesystem::path& day_dir,
                     const std::optional<staging::MinisignPublicKey>& key,
                     const std::map<std::string, std::uint64_t>& recorded_sizes);

// The value of `key=` in a signature's trusted comment ("offstage day=... host=... ...").
std::optional<std::string> signed_comment_value(std::string_view comment, std::string_view key);

} // namespace offstage::restore
