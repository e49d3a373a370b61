// The X25519 recipient stanza: "-> X25519 <ephemeral share>" with the file key sealed under
// HKDF(X25519(ephemeral, recipient), share || recipient, "age-encryption.org/v1/X25519").
#pragma once

#include "stager/age/header.hpp"
#include "stager/age/identity.hpp"
#include "stager/age/recipient.hpp"
#include "stager/age/secret_bytes.hpp"

#include <optional>

namespace offstage::age {

Stanza wrap_x25519(const X25519Recipient& recipient, const FileKey& file_key);

// nullopt when the stanza is not an X25519 one or was made for another key; throws
// AgeError(header) when it is an X25519 stanza that no valid file could contain.
std::optional<FileKey> unwrap_x25519(const X25519Identity& identity, const Stanza& stanza);

} // namespace offstage::age
