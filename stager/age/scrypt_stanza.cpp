#include "stager/age/scrypt_stanza.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/base64.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/primitives.hpp"

#include <algorithm>

namespace offstage::age {
namespace {

constexpr std::string_view label = "age-encryption.org/v1/scrypt";
constexpr std::size_t salt_size = 16;

void passphrase_key(std::string_view passphrase, std::span<const std::uint8_t> salt,
                    int work_factor, SymmetricKey& key) {
    std::vector<std::uint8_t> full_salt(label.begin(), label.end());
    full_salt.insert(full_salt.end(), salt.begin(), salt.end());
    scrypt_derive(passphrase, full_salt, work_factor, key.span());
}

[[noreturn]] void invalid(const std::string& what) {
    throw AgeError(AgeError::Kind::header, "invalid scrypt stanza: " + what);
}

} // namespace

Stanza wrap_scrypt(std::string_view passphrase, int work_factor, const FileKey& file_key) {
    if (work_factor < 1 || work_factor > max_scrypt_work_factor) {
        throw AgeError("scrypt work factor " + std::to_string(work_factor) + " is outside 1.." +
                       std::to_string(max_scrypt_work_factor));
    }
    std::array<std::uint8_t, salt_size> salt;
    random_bytes(salt);
    SymmetricKey key;
    passphrase_key(passphrase, salt, work_factor, key);
    Stanza stanza;
    stanza.type = "scrypt";
    stanza.args = {encode_base64_unpadded(salt), std::to_string(work_factor)};
    stanza.body.resize(file_key.size() + ChunkCipher::tag_size);
    ChunkCipher(key.span(), ChunkCipher::Direction::seal)
        .seal(ChunkCipher::Nonce{}, file_key.span(), stanza.body.data());
    return stanza;
}

std::optional<FileKey> unwrap_scrypt(std::string_view passphrase, int max_work_factor,
                                     const Stanza& stanza) {
    if (stanza.type != "scrypt") {
        return std::nullopt;
    }
    if (stanza.args.size() != 2) {
        invalid("expected a salt and a work factor");
    }
    auto salt = decode_base64_unpadded(stanza.args[0]);
    if (!salt || salt->size() != salt_size) {
        invalid("the salt is not 16 bytes of canonical base64");
    }
    // A decimal without leading zeros (so "012" is not read as octal or as 12) and small.
    const std::string& factor = stanza.args[1];
    if (factor.empty() || factor[0] < '1' || factor[0] > '9' ||
        !std::all_of(factor.begin(), factor.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        invalid("the work factor \"" + factor.substr(0, 8) + "\" is not a plain decimal");
    }
    int cap = std::min(max_work_factor, max_scrypt_work_factor);
    if (factor.size() > 2) {
        invalid("work factor " + factor.substr(0, 8) + " is above the limit of " +
                std::to_string(cap));
    }
    int work_factor = std::stoi(factor);
    if (work_factor > cap) {
        invalid("work factor " + factor + " is above the limit of " + std::to_string(cap) +
                " (scrypt would need " + std::to_string(scrypt_memory_bytes(work_factor) >> 20) +
                " MiB)");
    }
    if (stanza.body.size() != FileKey::size() + ChunkCipher::tag_size) {
        invalid("the wrapped file key is not 16 bytes");
    }
    SymmetricKey key;
    passphrase_key(passphrase, *salt, work_factor, key);
    FileKey file_key;
    if (!ChunkCipher(key.span(), ChunkCipher::Direction::open)
             .open(ChunkCipher::Nonce{}, stanza.body, file_key.data())) {
        return std::nullopt; // wrong passphrase
    }
    return file_key;
}

} // namespace offstage::age
