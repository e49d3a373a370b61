// The plaintext of one artifact of a day, streamed: the file opened below the day without
// following links (restore::DayDirectory), decrypted (age), decompressed when its name says
// ".zst". Every layer checks itself as it is read (age tags and the final chunk, zstd frame
// checksums), so a reader that reaches the end has read the whole, authentic plaintext.
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/unique_fd.hpp"
#include "stager/age/identity.hpp"
#include "stager/restore/day_directory.hpp"

#include <memory>
#include <string>
#include <vector>

namespace offstage::drill {

class ArtifactReader : public platform::ByteSource {
public:
    // Throws std::runtime_error naming the artifact when it is missing or not a regular file,
    // age::AgeError when no identity opens it.
    ArtifactReader(const restore::DayDirectory& day, const std::string& name,
                   const std::vector<age::X25519Identity>& identities);
    ~ArtifactReader() override;
    std::size_t read(std::span<std::byte> buffer) override;

    // Reads everything left into `sink` (which is not finished); returns the bytes read.
    std::uint64_t copy_to(platform::ByteSink& sink);

private:
    struct Layers;
    platform::UniqueFd fd_;
    std::unique_ptr<Layers> layers_;
};

} // namespace offstage::drill
