// The keyed digest of an artifact's plaintext (docs/staging-tree.md, "Reuse"): HMAC-SHA-256
// under a host key kept in a 0600 file, so the catalog, which records these digests, cannot
// confirm a guess of an artifact's content to whoever reads it.
#pragma once

#include "platform/byte_stream.hpp"
#include "stager/report/run_result.hpp"

#include <array>
#include <cstdint>
#include <filesystem>
#include <memory>

namespace offstage::staging {

using DigestKey = std::array<std::uint8_t, 32>;

// Reads the key, or creates it (32 random bytes, 0600, O_EXCL) when the file is missing.
// Throws std::system_error naming the file; a key open to group or others is refused.
DigestKey load_or_create_digest_key(const std::filesystem::path& path);

// A ByteSink that only digests: write() feeds the HMAC, finish() ends it.
class KeyedDigestSink : public platform::ByteSink {
public:
    explicit KeyedDigestSink(const DigestKey& key);
    ~KeyedDigestSink() override;
    KeyedDigestSink(const KeyedDigestSink&) = delete;
    KeyedDigestSink& operator=(const KeyedDigestSink&) = delete;

    void write(std::span<const std::byte> bytes) override;
    void finish() override;
    // Valid after finish().
    const report::Digest& digest() const { return digest_; }

private:
    struct Mac;
    std::unique_ptr<Mac> mac_;
    report::Digest digest_{};
    bool finished_ = false;
};

} // namespace offstage::staging
