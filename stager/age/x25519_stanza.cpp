#include "stager/age/x25519_stanza.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/base64.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/primitives.hpp"

#include <algorithm>

namespace offstage::age {
namespace {

constexpr std::string_view label = "age-encryption.org/v1/X25519";

void wrapping_key(const SymmetricKey& shared, const PublicKey& share, const PublicKey& recipient,
                  SymmetricKey& key) {
    std::array<std::uint8_t, 64> salt;
    std::copy(share.begin(), share.end(), salt.begin());
    std::copy(recipient.begin(), recipient.end(), salt.begin() + 32);
    hkdf_sha256(shared.span(), salt, label, key.span());
}

[[noreturn]] void invalid(const std::string& what) {
    throw AgeError(AgeError::Kind::header, "invalid X25519 stanza: " + what);
}

} // namespace

Stanza wrap_x25519(const X25519Recipient& recipient, const FileKey& file_key) {
    SymmetricKey ephemeral;
    random_bytes(ephemeral.span());
    PublicKey share = x25519_public_key(ephemeral.span());
    SymmetricKey shared;
    if (!x25519_shared_secret(ephemeral.span(), recipient.public_key(), shared)) {
        throw AgeError("recipient " + recipient.to_string() +
                       " is a low-order point: no key can be agreed with it");
    }
    SymmetricKey key;
    wrapping_key(shared, share, recipient.public_key(), key);
    Stanza stanza;
    stanza.type = "X25519";
    stanza.args.push_back(encode_base64_unpadded(share));
    stanza.body.resize(file_key.size() + ChunkCipher::tag_size);
    ChunkCipher(key.span(), ChunkCipher::Direction::seal)
        .seal(ChunkCipher::Nonce{}, file_key.span(), stanza.body.data());
    return stanza;
}

std::optional<FileKey> unwrap_x25519(const X25519Identity& identity, const Stanza& stanza) {
    if (stanza.type != "X25519") {
        return std::nullopt;
    }
    if (stanza.args.size() != 1) {
        invalid("expected exactly one argument");
    }
    auto share_bytes = decode_base64_unpadded(stanza.args[0]);
    if (!share_bytes || share_bytes->size() != 32) {
        invalid("the share is not 32 bytes of canonical base64");
    }
    if (stanza.body.size() != FileKey::size() + ChunkCipher::tag_size) {
        invalid("the wrapped file key is not 16 bytes");
    }
    PublicKey share;
    std::copy(share_bytes->begin(), share_bytes->end(), share.begin());
    SymmetricKey shared;
    if (!x25519_shared_secret(identity.secret_key(), share, shared)) {
        invalid("the share is a low-order point");
    }
    SymmetricKey key;
    wrapping_key(shared, share, identity.recipient().public_key(), key);
    FileKey file_key;
    if (!ChunkCipher(key.span(), ChunkCipher::Direction::open)
             .open(ChunkCipher::Nonce{}, stanza.body, file_key.data())) {
        return std::nullopt; // made for another key
    }
    return file_key;
}

} // namespace offstage::age
