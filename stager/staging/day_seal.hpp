// The last step before publish: SHA256SUMS over every file of the day, then its minisign
// signature, whose trusted comment binds the day and the host (docs/staging-tree.md).
#pragma once

#include "stager/staging/minisign.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "stager/staging/staging_tree.hpp"

#include <ctime>
#include <string>
#include <string_view>

namespace offstage::staging {

// "offstage day=DAY host=HOST timestamp=UNIX"; `host` must be one printable word.
std::string trusted_comment_for(std::string_view day, std::string_view host, std::time_t when);

// Writes SHA256SUMS listing `files` (every other file of the day, with the digests their
// writers computed) and SHA256SUMS.minisig into `work`.
void seal_day(const WorkDir& work, const Sha256Sums& files, const SigningKey& key,
              std::string_view host, std::time_t when);

} // namespace offstage::staging
