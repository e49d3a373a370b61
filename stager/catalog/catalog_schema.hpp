// The catalog's schema as SQL text, one script per migration step: step N takes a database from
// `PRAGMA user_version` N to N+1, and a new database runs every step from 0, so the migrations
// are the schema and run on every fresh catalog. docs/catalog.md describes the result.
#pragma once

#include <span>
#include <string_view>

namespace offstage::catalog::schema {

// The version this offstage writes; a database with a higher user_version is refused.
inline constexpr int current_version = 6;

// migrations()[N] takes version N to N+1; migrations().size() == current_version.
std::span<const std::string_view> migrations();

} // namespace offstage::catalog::schema
