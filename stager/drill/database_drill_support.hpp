// What the database drills share: which artifacts of a day are theirs (honouring --only), an
// artifact's plaintext as text or as a private file, and the verdict that compares a restored
// database's fingerprint with the one taken at dump time.
#pragma once

#include "stager/drill/drill.hpp"

#include <optional>
#include <string>
#include <vector>

namespace offstage::drill {

// The stems of the day's artifacts "db/KIND/STEM" + suffix, sorted, that --only selects (a
// "db" or KIND, or "KIND/STEM"; nothing: all).
std::vector<std::string> selected_stems(const DrillContext& context, const std::string& kind,
                                        const std::string& suffix);
bool has_artifact(const DrillContext& context, const std::string& name);

// The whole plaintext of an artifact (a fingerprint, the globals: small).
std::string artifact_text(const DrillContext& context, const std::string& name);
// The plaintext written to `path` (a new file, mode 0600); returns its size.
std::uint64_t artifact_to_file(const DrillContext& context, const std::string& name,
                               const std::filesystem::path& path);

// The external name an encoded stem stands for ("%53ales" -> "Sales").
std::string decode_name_component(const std::string& stem);

// "" when equal, else what differs: the first lines only in one or the other.
std::string fingerprint_difference(const std::string& expected, const std::string& found);
// How many "table " lines a fingerprint has.
std::size_t fingerprint_tables(const std::string& fingerprint);

} // namespace offstage::drill
