#include "stager/restore/day_restorer.hpp"

#include "platform/fd_stream.hpp"
#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/restore/artifact_check.hpp"
#include "stager/restore/day_directory.hpp"
#include "stager/restore/hashing_source.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <openssl/evp.h>
#include <set>

namespace offstage::restore {

namespace {

// One pass over `artifact`: decrypt, extract with `prepare` applied to the extractor, check the
// digest. Returns the extractor's findings through `restored`, also when it throws.
template <typename Prepare>
void one_pass(const RestoreRequest& request, const DayDirectory& day, const std::string& artifact,
              ArtifactRestored& restored, Prepare prepare,
              std::vector<archive::DeferredLink>* deferred, std::vector<std::string>* unmatched) {
    DayDirectory::Opened opened = day.open_file(artifact);
    if (opened.state != DayDirectory::Opened::State::open) {
        throw MissingArtifactError(platform::printable_name(artifact) + ": " + opened.problem);
    }
    HashingSource file(opened.fd.get(), artifact);
    age::DecryptOptions keys;
    keys.identities = request.identities;
    age::Decryptor plaintext(keys, file, artifact);
    archive::ArchiveExtractor extractor(plaintext, artifact, request.restore_owners,
                                        request.progress);
    prepare(extractor);
    struct Collect {
        archive::ArchiveExtractor& extractor;
        ArtifactRestored& restored;
        ~Collect() {
            restored.counts.entries += extractor.counts().entries;
            restored.counts.bytes_written += extractor.counts().bytes_written;
            restored.counts.skipped += extractor.counts().skipped;
            restored.problems.insert(restored.problems.end(), extractor.problems().begin(),
                                     extractor.problems().end());
        }
    } collect{extractor, restored};
    extractor.extract_to(request.target);
    const staging::Sha256Digest digest = file.finish();
    if (request.verified) {
        auto listed = request.verified->find(artifact);
        if (listed == request.verified->end() || listed->second != digest) {
            throw ArtifactChangedError(platform::printable_name(artifact) +
                                       ": its bytes changed since the day was verified (sha256 " +
                                       staging::to_hex(digest) + ")");
        }
    }
    if (deferred != nullptr) {
        *deferred = extractor.deferred_links();
    }
    if (unmatched != nullptr) {
        *unmatched = extractor.unmatched();
    }
}

} // namespace

std::optional<std::string> not_restorable(std::string_view name) {
    if (!staging::is_artifact_name(name)) {
        return "not an artifact name of the staging tree";
    }
    if (!layers_of(name).tar) {
        return "not a tar artifact (only .tar.zst.age artifacts are extracted)";
    }
    return std::nullopt;
}

void restore_day(const RestoreRequest& request, RestoreResult& result) {
    std::vector<std::string> artifacts = request.artifacts;
    if (artifacts.empty()) {
        artifacts.emplace_back(default_artifact);
    }
    // Everything that can be refused is refused before the first byte is written.
    for (const std::string& artifact : artifacts) {
        if (auto why = not_restorable(artifact)) {
            throw std::invalid_argument(platform::printable_name(artifact) + ": " + *why);
        }
    }
    const archive::EntrySelection selection(request.paths);
    DayDirectory day(request.day_dir);
    for (const std::string& artifact : artifacts) {
        if (request.verified && !request.verified->contains(artifact)) {
            throw MissingArtifactError(platform::printable_name(artifact) + ": not in this day");
        }
        DayDirectory::Opened opened = day.open_file(artifact);
        if (opened.state != DayDirectory::Opened::State::open) {
            throw MissingArtifactError(platform::printable_name(artifact) + ": " + opened.problem);
        }
    }

    std::set<std::string> matched_somewhere;
    for (const std::string& artifact : artifacts) {
        ArtifactRestored& restored = result.artifacts.emplace_back();
        restored.artifact = artifact;
        std::vector<archive::DeferredLink> deferred;
        one_pass(
            request, day, artifact, restored,
            [&](archive::ArchiveExtractor& extractor) {
                if (!request.paths.empty()) {
                    extractor.select(selection);
                }
            },
            &deferred, &restored.unmatched);
        if (!deferred.empty()) {
            // Selected hardlinks whose target was not selected: the target's data, again
            // from the start of the artifact, under the links' names.
            one_pass(
                request, day, artifact, restored,
                [&](archive::ArchiveExtractor& extractor) {
                    extractor.restore_link_targets(deferred);
                },
                nullptr, nullptr);
        }
        for (const std::string& path : request.paths) {
            if (std::find(restored.unmatched.begin(), restored.unmatched.end(), path) ==
                restored.unmatched.end()) {
                matched_somewhere.insert(path);
            }
        }
    }
    for (const std::string& path : request.paths) {
        if (!matched_somewhere.contains(path) &&
            std::find(result.unmatched.begin(), result.unmatched.end(), path) ==
                result.unmatched.end()) {
            result.unmatched.push_back(path);
        }
    }
}

} // namespace offstage::restore
