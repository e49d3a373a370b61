// `offstage restore`'s extraction (docs/offstage-restore.8): the tar artifacts of one day,
// decrypted and extracted by archive::ArchiveExtractor into a target, all of them or some paths.
// The day is verified before (verify_day, by the caller); this room then reads each artifact
// again through the day's descriptor (no symlink followed) and hashes what it reads: an artifact
// that no longer has the digest the verification accepted (changed on disk meanwhile) fails as
// damaged, even though its entries are already written. Nothing is written before every
// requested artifact has been found in the day.
#pragma once

#include "platform/progress_meter.hpp"
#include "stager/age/identity.hpp"
#include "stager/archive/archive_extractor.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::restore {

// The artifact restored when none is named.
inline constexpr std::string_view default_artifact = "files.tar.zst.age";

// Why `name` cannot be restored (not a tar artifact name of the layout), or nullopt.
std::optional<std::string> not_restorable(std::string_view name);

struct RestoreRequest {
    std::filesystem::path day_dir;
    std::vector<age::X25519Identity> identities;
    std::filesystem::path target;
    std::vector<std::string> artifacts; // tar artifact names; empty: default_artifact
    std::vector<std::string> paths;     // empty: everything (archive::EntrySelection)
    bool restore_owners = false;        // needs root
    // The digests the verification accepted (VerifySummary::sums); nullopt: not verified
    // (--no-verify), nothing to compare with.
    std::optional<staging::Sha256Sums> verified;
    platform::ProgressMeter* progress = nullptr;
};

struct ArtifactRestored {
    std::string artifact;
    archive::ExtractCounts counts;
    std::vector<archive::FileProblem> problems; // entries not (fully) restored
    std::vector<std::string> unmatched;         // paths of the request matching no entry here
};

struct RestoreResult {
    std::vector<ArtifactRestored> artifacts; // in order; the last one may be partial on a throw
    // The paths of the request that matched no entry in any artifact restored, as given.
    std::vector<std::string> unmatched;
};

// A requested artifact the day does not hold (or not as a regular file): nothing was written.
class MissingArtifactError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
// An artifact whose bytes differ from the verified digest: what was extracted is untrusted.
class ArtifactChangedError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Restores the request into `result` (filled as it goes, so the caller can report what was
// written before a failure). Throws MissingArtifactError before writing anything;
// ArtifactChangedError; and what the extractor throws (age::AgeError for an artifact that does
// not decrypt, archive::UnsafeEntryError, archive::UnsafeTargetError, std::runtime_error for
// I/O). std::invalid_argument for a path that cannot name an entry, before anything is written.
void restore_day(const RestoreRequest& request, RestoreResult& result);

} // namespace offstage::restore
