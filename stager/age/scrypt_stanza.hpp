// The scrypt (passphrase) recipient stanza: "-> scrypt <salt> <log2 N>" with the file key
// sealed under scrypt("age-encryption.org/v1/scrypt" || salt, N, r = 8, p = 1). The spec
// requires it to be the only stanza of its header.
#pragma once

#include "stager/age/header.hpp"
#include "stager/age/secret_bytes.hpp"

#include <optional>
#include <string_view>

namespace offstage::age {

Stanza wrap_scrypt(std::string_view passphrase, int work_factor, const FileKey& file_key);

// nullopt when the stanza is not a scrypt one or the passphrase is wrong; throws
// AgeError(header) for a malformed stanza or a work factor above `max_work_factor` (checked
// before scrypt allocates anything).
std::optional<FileKey> unwrap_scrypt(std::string_view passphrase, int max_work_factor,
                                     const Stanza& stanza);

} // namespace offstage::age
