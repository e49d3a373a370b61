#include "stager/age/encryptor.hpp"

#include "stager/age/age_error.hpp"
#include "stager/age/armor_writer.hpp"
#include "stager/age/base64.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/header.hpp"
#include "stager/age/parallel_sealer.hpp"
#include "stager/age/primitives.hpp"
#include "stager/age/scrypt_stanza.hpp"
#include "stager/age/stream.hpp"
#include "stager/age/x25519_stanza.hpp"

#include <cstring>
#include <limits>
#include <openssl/crypto.h>

namespace offstage::age {
namespace {

// Sealed chunks are collected and handed to the sink in blocks of this many: few large
// write(2)s, while memory stays bounded at about 1 MiB.
constexpr std::size_t chunks_per_block = 16;

std::vector<Stanza> make_stanzas(const EncryptOptions& options, const FileKey& file_key) {
    std::vector<Stanza> stanzas;
    if (options.passphrase) {
        if (!options.recipients.empty()) {
            throw AgeError("a passphrase cannot be combined with recipients: the age format "
                           "requires the scrypt stanza to be the only one");
        }
        stanzas.push_back(wrap_scrypt(*options.passphrase, options.scrypt_work_factor, file_key));
        return stanzas;
    }
    if (options.recipients.empty()) {
        throw AgeError("no recipient to encrypt to");
    }
    // Every X25519 stanza has the same size: the first tells whether all of them fit, before
    // thousands of key agreements are spent on a header that would be refused anyway.
    stanzas.push_back(wrap_x25519(options.recipients.front(), file_key));
    const std::size_t per_recipient = Header::encoded_size(stanzas.front());
    const std::size_t count = options.recipients.size();
    if (count > (Header::max_size - Header::frame_size) / per_recipient) {
        throw AgeError(std::to_string(count) + " recipients make an age header of " +
                       std::to_string(Header::frame_size + count * per_recipient) +
                       " bytes, over the " + Header::max_size_text +
                       " that offstage decrypt reads; at most " +
                       std::to_string((Header::max_size - Header::frame_size) / per_recipient) +
                       " fit: encrypt to fewer recipients");
    }
    for (std::size_t i = 1; i < count; ++i) {
        stanzas.push_back(wrap_x25519(options.recipients[i], file_key));
    }
    return stanzas;
}

SymmetricKey payload_key(const FileKey& file_key, std::span<const std::uint8_t> nonce) {
    SymmetricKey key;
    hkdf_sha256(file_key.span(), nonce, "payload", key.span());
    return key;
}

} // namespace

class Encryptor::Impl {
public:
    Impl(const EncryptOptions& options, platform::ByteSink& out);
    void write(std::span<const std::uint8_t> data);
    void finish();

private:
    void seal(std::span<const std::uint8_t> plaintext, bool last);
    void flush();

    std::unique_ptr<ArmorWriter> armor_;
    platform::ByteSink& out_;
    std::unique_ptr<ParallelSealer> parallel_; // threads > 1: it does all the sealing
    std::unique_ptr<ChunkCipher> cipher_;
    std::vector<std::uint8_t> chunk_; // plaintext not sealed yet (at most one chunk)
    std::size_t filled_ = 0;
    std::vector<std::uint8_t> block_; // sealed output not written yet
    std::size_t block_used_ = 0;
    std::uint64_t counter_ = 0;
    bool finished_ = false;
};

Encryptor::Impl::Impl(const EncryptOptions& options, platform::ByteSink& out)
    : armor_(options.armor ? std::make_unique<ArmorWriter>(out) : nullptr)
    , out_(armor_ ? *armor_ : out)
    , chunk_(stream::chunk_size)
    , block_(chunks_per_block * stream::sealed_chunk_size) {
    FileKey file_key;
    random_bytes(file_key.span());
    auto stanzas = make_stanzas(options, file_key);

    std::string header = Header::encode_without_mac(stanzas);
    SymmetricKey mac_key;
    hkdf_sha256(file_key.span(), {}, "header", mac_key.span());
    std::array<std::uint8_t, 32> mac;
    hmac_sha256(mac_key.span(),
                std::span(reinterpret_cast<const std::uint8_t*>(header.data()), header.size()),
                mac);
    header += ' ';
    header += encode_base64_unpadded(mac);
    header += '\n';
    if (header.size() > Header::max_size) { // make_stanzas() refuses this first; a guard
        throw AgeError("the age header would be " + std::to_string(header.size()) +
                       " bytes, over the " + Header::max_size_text + " that offstage reads");
    }

    std::array<std::uint8_t, stream::nonce_size> nonce;
    random_bytes(nonce);
    if (options.threads > 1) {
        std::vector<std::uint8_t> prefix(header.begin(), header.end());
        prefix.insert(prefix.end(), nonce.begin(), nonce.end());
        parallel_ = std::make_unique<ParallelSealer>(payload_key(file_key, nonce).span(),
                                                     options.threads, out_, std::move(prefix));
        block_ = {};
        chunk_ = {};
        return;
    }
    cipher_ = std::make_unique<ChunkCipher>(payload_key(file_key, nonce).span(),
                                            ChunkCipher::Direction::seal);
    if (header.size() + nonce.size() > block_.size()) {
        out_.write(std::as_bytes(std::span(header))); // thousands of recipients
    } else {
        std::memcpy(block_.data(), header.data(), header.size());
        block_used_ = header.size();
    }
    std::memcpy(block_.data() + block_used_, nonce.data(), nonce.size());
    block_used_ += nonce.size();
}

void Encryptor::Impl::seal(std::span<const std::uint8_t> plaintext, bool last) {
    if (counter_ == std::numeric_limits<std::uint64_t>::max()) {
        throw AgeError("age STREAM chunk counter exhausted"); // 2^64 chunks: never in practice
    }
    if (block_.size() - block_used_ < plaintext.size() + ChunkCipher::tag_size) {
        flush();
    }
    cipher_->seal(stream::chunk_nonce(counter_++, last), plaintext, block_.data() + block_used_);
    block_used_ += plaintext.size() + ChunkCipher::tag_size;
}

void Encryptor::Impl::flush() {
    if (block_used_ > 0) {
        out_.write(std::as_bytes(std::span(block_.data(), block_used_)));
        block_used_ = 0;
    }
}

void Encryptor::Impl::write(std::span<const std::uint8_t> data) {
    if (parallel_) {
        parallel_->write(data);
        return;
    }
    if (finished_) {
        throw AgeError("write to an age encryptor after finish()");
    }
    while (!data.empty()) {
        // A full chunk is sealed as non-final only now that another byte has arrived: the
        // final chunk must never be empty (unless the whole plaintext is).
        if (filled_ == stream::chunk_size) {
            seal(std::span(chunk_.data(), filled_), false);
            filled_ = 0;
        }
        if (filled_ == 0 && data.size() > stream::chunk_size) {
            // Straight from the caller's buffer: no copy when writes are large.
            seal(data.first(stream::chunk_size), false);
            data = data.subspan(stream::chunk_size);
            continue;
        }
        std::size_t take = std::min(stream::chunk_size - filled_, data.size());
        std::memcpy(chunk_.data() + filled_, data.data(), take);
        filled_ += take;
        data = data.subspan(take);
    }
}

void Encryptor::Impl::finish() {
    if (parallel_) {
        parallel_->finish();
        return;
    }
    if (finished_) {
        throw AgeError("age encryptor finished twice");
    }
    finished_ = true;
    seal(std::span(chunk_.data(), filled_), true);
    OPENSSL_cleanse(chunk_.data(), filled_);
    cipher_.reset(); // frees the context and with it the payload key schedule
    flush();
    out_.finish();
}

Encryptor::Encryptor(const EncryptOptions& options, platform::ByteSink& out)
    : impl_(std::make_unique<Impl>(options, out)) {}

Encryptor::~Encryptor() = default;

void Encryptor::write(std::span<const std::byte> bytes) {
    impl_->write(std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

void Encryptor::finish() {
    impl_->finish();
}

} // namespace offstage::age
