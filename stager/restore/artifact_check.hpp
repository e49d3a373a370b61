// One pass over one file of a day: its SHA-256 over every byte (streamed, bounded memory) and,
// for an artifact, its age layers. Without an identity the age header must parse and the
// payload's length must be whole STREAM chunks (a cut inside a chunk shows without any key).
// With identities the file is decrypted to its end (every chunk authenticated, the final one
// present), its zstd layer (".zst" in its extensions) decompressed to the end of its frames
// with their checksums, and its tar layer (".tar") read through every entry's data.
#pragma once

#include "stager/age/identity.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace offstage::restore {

// The layers an artifact name announces, from its last extensions:
// "x.tar.zst.age" -> tar, zstd, age; "db/mariadb/x.sql.zst.age" -> zstd, age.
struct ArtifactLayers {
    bool age = false;
    bool zstd = false;
    bool tar = false;
};
ArtifactLayers layers_of(std::string_view name);

struct ArtifactCheck {
    staging::Sha256Digest sha256{};
    std::uint64_t bytes = 0;
    // The first failure of the content checks (age header, decryption, zstd, tar), with the
    // name it concerns; nullopt when they all held.
    std::optional<std::string> problem;
    std::size_t recipients = 0; // stanzas of the age header
    bool decrypted = false;
    std::uint64_t plaintext_bytes = 0; // of the innermost layer read
    std::optional<std::uint64_t> tar_entries;
};

// Reads the open regular file `fd` (named `name` in messages) once, from its start. With no
// `identities`, only the header and the length structure are checked. Throws std::system_error
// for an I/O error of the file itself (the check could not run).
ArtifactCheck check_artifact(int fd, const std::string& name,
                             const std::vector<age::X25519Identity>& identities);

// The SHA-256 of the whole file, and its size, for the plain files of a day.
ArtifactCheck hash_file(int fd, const std::string& name);

} // namespace offstage::restore
