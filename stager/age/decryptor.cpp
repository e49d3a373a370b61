#include "stager/age/decryptor.hpp"

#include "platform/fd_stream.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/armor_reader.hpp"
#include "stager/age/buffered_reader.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/header.hpp"
#include "stager/age/primitives.hpp"
#include "stager/age/scrypt_stanza.hpp"
#include "stager/age/stream.hpp"
#include "stager/age/x25519_stanza.hpp"

#include <cstring>
#include <openssl/crypto.h>

namespace offstage::age {
namespace {

using Kind = AgeError::Kind;

bool starts_armored(int first_byte) {
    // A binary age file starts with "age-encryption.org/v1"; the armor with its BEGIN line,
    // possibly after whitespace.
    return first_byte == '-' || first_byte == ' ' || first_byte == '\t' || first_byte == '\r' ||
           first_byte == '\n' || first_byte == '\v' || first_byte == '\f';
}

std::string stanza_types(const std::vector<Stanza>& stanzas) {
    std::string types;
    for (const auto& stanza : stanzas) {
        types += (types.empty() ? "" : ", ") + stanza.type.substr(0, 32);
    }
    return types;
}

} // namespace

class Decryptor::Impl {
public:
    Impl(const DecryptOptions& options, platform::ByteSource& in, std::string name);
    std::size_t read(std::span<std::uint8_t> buffer);

private:
    void open(const DecryptOptions& options, platform::ByteSource& in);
    FileKey unwrap(const DecryptOptions& options, const Header& header);
    void next_chunk();
    [[noreturn]] void fail(Kind kind, const std::string& what);

    std::string name_;
    std::unique_ptr<BufferedReader> raw_;
    std::unique_ptr<ArmorReader> armor_;
    std::unique_ptr<BufferedReader> armored_;
    BufferedReader* in_ = nullptr; // raw_ or armored_
    std::unique_ptr<ChunkCipher> cipher_;
    std::vector<std::uint8_t> sealed_;
    std::vector<std::uint8_t> plain_;
    std::size_t plain_begin_ = 0;
    std::size_t plain_end_ = 0;
    std::uint64_t counter_ = 0;
    bool done_ = false;
    std::optional<AgeError> error_; // once failed, every later read() fails the same way
};

Decryptor::Impl::Impl(const DecryptOptions& options, platform::ByteSource& in, std::string name)
    : name_(std::move(name)) {
    try {
        open(options, in);
    } catch (const AgeError& error) {
        throw AgeError(error.kind(), name_ + ": " + error.what());
    } catch (const std::exception& error) {
        // I/O errors of the source already name it; say where we were.
        throw AgeError(Kind::other, name_ + ": reading the age header: " + error.what());
    }
}

void Decryptor::Impl::fail(Kind kind, const std::string& what) {
    error_.emplace(kind, name_ + ": " + what);
    throw *error_;
}

void Decryptor::Impl::open(const DecryptOptions& options, platform::ByteSource& in) {
    raw_ = std::make_unique<BufferedReader>(in);
    bool armored = options.armored.value_or(starts_armored(raw_->peek()));
    in_ = raw_.get();
    if (armored) {
        armor_ = std::make_unique<ArmorReader>(*raw_);
        armored_ = std::make_unique<BufferedReader>(*armor_);
        in_ = armored_.get();
    }
    Header header = Header::parse(*in_);
    FileKey file_key = unwrap(options, header);

    SymmetricKey mac_key;
    hkdf_sha256(file_key.span(), {}, "header", mac_key.span());
    std::array<std::uint8_t, 32> mac;
    hmac_sha256(mac_key.span(),
                std::span(reinterpret_cast<const std::uint8_t*>(header.mac_input().data()),
                          header.mac_input().size()),
                mac);
    if (CRYPTO_memcmp(mac.data(), header.mac().data(), mac.size()) != 0) {
        throw AgeError(Kind::hmac, "header MAC mismatch: the header was modified");
    }

    std::array<std::uint8_t, stream::nonce_size> nonce;
    if (platform::read_fully(*in_, std::as_writable_bytes(std::span(nonce))) != nonce.size()) {
        throw AgeError(Kind::header, "the file ends before the payload nonce (truncated)");
    }
    SymmetricKey payload_key;
    hkdf_sha256(file_key.span(), nonce, "payload", payload_key.span());
    cipher_ = std::make_unique<ChunkCipher>(payload_key.span(), ChunkCipher::Direction::open);
    sealed_.resize(stream::sealed_chunk_size);
    plain_.resize(stream::chunk_size);
}

FileKey Decryptor::Impl::unwrap(const DecryptOptions& options, const Header& header) {
    const auto& stanzas = header.stanzas();
    for (const auto& stanza : stanzas) {
        if (stanza.type == "scrypt" && stanzas.size() != 1) {
            throw AgeError(Kind::header, "invalid header: a scrypt stanza must be the only one");
        }
    }
    if (options.identities.empty() && !options.passphrase) {
        throw AgeError("no identity and no passphrase to decrypt with");
    }
    for (const auto& identity : options.identities) {
        for (const auto& stanza : stanzas) {
            if (auto key = unwrap_x25519(identity, stanza)) {
                return *key;
            }
        }
    }
    if (options.passphrase) {
        for (const auto& stanza : stanzas) {
            if (auto key =
                    unwrap_scrypt(*options.passphrase, options.max_scrypt_work_factor, stanza)) {
                return *key;
            }
        }
    }
    std::string what = options.passphrase && options.identities.empty()
                           ? "the passphrase is wrong or the file is not encrypted to one"
                           : "no identity matches";
    throw AgeError(Kind::no_match,
                   what + " (the file's recipient stanzas: " +
                       (stanzas.empty() ? std::string("none") : stanza_types(stanzas)) + ")");
}

void Decryptor::Impl::next_chunk() {
    std::size_t got = platform::read_fully(*in_, std::as_writable_bytes(std::span(sealed_)));
    const std::string chunk = "payload chunk " + std::to_string(counter_ + 1);
    if (got == 0) {
        fail(Kind::payload, counter_ == 0
                                ? "no payload: the file ends after the header (truncated)"
                                : "the file ends after payload chunk " + std::to_string(counter_) +
                                      " without a final chunk (truncated at a chunk boundary)");
    }
    bool last = got < sealed_.size();
    if (got < ChunkCipher::tag_size) {
        fail(Kind::payload, chunk + " is shorter than its tag (truncated)");
    }
    if (last && counter_ > 0 && got == ChunkCipher::tag_size) {
        fail(Kind::payload, chunk + " is an empty final chunk, which the age format forbids");
    }
    auto sealed = std::span<const std::uint8_t>(sealed_.data(), got);
    bool opened = cipher_->open(stream::chunk_nonce(counter_, last), sealed, plain_.data());
    if (!opened && !last) {
        // A full-size chunk may be the final one.
        last = true;
        opened = cipher_->open(stream::chunk_nonce(counter_, true), sealed, plain_.data());
    }
    if (!opened) {
        OPENSSL_cleanse(plain_.data(), got - ChunkCipher::tag_size);
        fail(Kind::payload, chunk + " failed authentication: the file was modified or truncated");
    }
    if (last) {
        // Only now is the stream known to be complete: nothing may follow the final chunk.
        std::byte extra;
        if (in_->read(std::span(&extra, 1)) != 0) {
            OPENSSL_cleanse(plain_.data(), got - ChunkCipher::tag_size);
            fail(Kind::payload, "data after the final chunk (" + chunk + ")");
        }
        done_ = true;
        cipher_.reset();
    }
    ++counter_;
    plain_begin_ = 0;
    plain_end_ = got - ChunkCipher::tag_size;
}

std::size_t Decryptor::Impl::read(std::span<std::uint8_t> buffer) {
    if (error_) {
        throw *error_;
    }
    std::size_t copied = 0;
    try {
        while (copied < buffer.size()) {
            if (plain_begin_ == plain_end_) {
                // Hand over what this call already has before reading on: if the next chunk
                // fails, the authenticated bytes before it are not lost with the exception.
                if (done_ || copied > 0) {
                    break;
                }
                next_chunk();
                continue;
            }
            std::size_t take = std::min(buffer.size() - copied, plain_end_ - plain_begin_);
            std::memcpy(buffer.data() + copied, plain_.data() + plain_begin_, take);
            plain_begin_ += take;
            copied += take;
        }
    } catch (const AgeError& error) {
        if (!error_) {
            error_.emplace(error.kind(), name_ + ": " + error.what());
        }
        throw *error_;
    } catch (const std::exception& error) {
        error_.emplace(Kind::other, name_ + ": reading the payload: " + error.what());
        throw *error_;
    }
    return copied;
}

Decryptor::Decryptor(const DecryptOptions& options, platform::ByteSource& in, std::string name)
    : impl_(std::make_unique<Impl>(options, in, std::move(name))) {}

Decryptor::~Decryptor() = default;

std::size_t Decryptor::read(std::span<std::byte> buffer) {
    return impl_->read(std::span(reinterpret_cast<std::uint8_t*>(buffer.data()), buffer.size()));
}

} // namespace offstage::age
