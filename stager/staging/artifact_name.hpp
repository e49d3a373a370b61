// Artifact names (docs/staging-tree.md, "Names"): ASCII, lower-case, stable, one or two
// directory levels. Names that come from outside (a spool, a database, a volume) are encoded
// so that no byte of them can make a name that escapes its directory or collides.
#pragma once

#include <string>
#include <string_view>

namespace offstage::staging {

// Every byte outside [a-z0-9._-], and a leading '.', '_' or '-', as %xx (lower-case hex):
// "Sales DB" -> "%53ales%20%44%42". Injective, so two sources never share a name.
std::string encode_name_component(std::string_view external);

// A relative artifact path the grammar allows: 1 to 3 components, each matching
// [a-z0-9][a-z0-9._%-]* and at most 200 bytes, the last ending in ".age".
bool is_artifact_name(std::string_view name);

} // namespace offstage::staging
