// The only writer of a day's artifacts, and the only part of the run that holds the age
// recipients: sources hand it plaintext and never see keys (docs/staging-tree.md). Each
// artifact goes tar [-> zstd] -> age -> DayFile (SHA-256 while writing) and is recorded with its
// size, digest and the keyed digest of its plaintext; an artifact whose plaintext is unchanged
// since the previous complete tree is hard-linked from it instead (reuse()).
#pragma once

#include "platform/progress_meter.hpp"
#include "stager/age/encryptor.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/report/run_result.hpp"
#include "stager/staging/day_file.hpp"
#include "stager/staging/keyed_digest.hpp"
#include "stager/staging/sha256_sums.hpp"
#include "stager/staging/staging_tree.hpp"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::staging {

// An artifact of the previous complete tree, as the catalog and that tree's SHA256SUMS know it.
struct PreviousArtifact {
    std::filesystem::path path; // in the previous day directory
    std::uint64_t bytes = 0;
    report::Digest sha256{};
    report::Digest plaintext_digest{};
};
// Looks an artifact name up in the previous complete tree (nullopt: none, or not reusable).
using PreviousArtifacts = std::function<std::optional<PreviousArtifact>(const std::string& name)>;

struct ArtifactSettings {
    age::EncryptOptions keys;
    archive::CompressionSettings compression;
};

class ArtifactWriter {
public:
    class TarArtifact;
    class StreamArtifact;

    ArtifactWriter(const WorkDir& work, ArtifactSettings settings, DigestKey digest_key,
                   PreviousArtifacts previous = {});
    ~ArtifactWriter();

    // Whether a tar artifact's plaintext is digested for reuse: worth it only for a source that
    // can be unchanged from one day to the next (a spool, `system`); for `files`, which changes
    // every day, the HMAC over gigabytes of tar would be CPU spent for nothing.
    enum class Reuse { digested, never };

    // A tar artifact being written; `name` must follow the grammar. Throws on output errors.
    std::unique_ptr<TarArtifact> begin_tar(const std::string& name, Reuse reuse,
                                           platform::ProgressMeter* progress = nullptr);

    // A stream artifact being written (a database dump, a volume dump): plaintext bytes ->
    // zstd -> age -> DayFile. `name` must follow the grammar. Throws on output errors.
    std::unique_ptr<StreamArtifact> begin_stream(const std::string& name,
                                                 platform::ProgressMeter* progress = nullptr);

    // The keyed digest of bytes that stand for an artifact's content (a dump's fingerprint):
    // what a StreamArtifact records for reuse, and what reuse() is asked with the next day.
    report::Digest keyed_digest(std::string_view content) const;

    // The keyed digest of a plaintext produced by `produce` (a dry pass that writes nothing),
    // to ask reuse() before paying for compression, encryption and the disk.
    report::Digest digest_of(const std::function<void(platform::ByteSink&)>& produce) const;

    // When the previous tree holds `name` with this plaintext digest, hard-links it into the day
    // and returns its record (reused = true); nullopt otherwise.
    std::optional<report::ArtifactRecord> reuse(const std::string& name,
                                                const report::Digest& plaintext_digest);

    // Every artifact committed or reused so far: what SHA256SUMS lists (with report.json).
    const Sha256Sums& sums() const { return sums_; }
    const WorkDir& work() const { return work_; }

private:
    friend class TarArtifact;
    void record(const report::ArtifactRecord& artifact);

    const WorkDir& work_;
    ArtifactSettings settings_;
    DigestKey digest_key_;
    PreviousArtifacts previous_;
    Sha256Sums sums_;
};

// tar -> (keyed digest of the tar stream, when digested) -> [zstd] -> age -> DayFile. Destroyed
// uncommitted (an exception), it leaves nothing under the artifact's name.
class ArtifactWriter::TarArtifact {
public:
    archive::TarWriter& tar() { return writer_->tar(); }
    // Finishes every layer and renames the file into place; returns its record.
    report::ArtifactRecord commit();
    ~TarArtifact();

private:
    friend class ArtifactWriter;
    TarArtifact(ArtifactWriter& owner, const std::string& name, Reuse reuse,
                platform::ProgressMeter* progress);
    ArtifactWriter& owner_;
    DayFile file_;
    std::optional<KeyedDigestSink> plaintext_; // Reuse::digested only
    std::unique_ptr<archive::EncryptedArchiveWriter> writer_;
};

// [zstd] -> age -> DayFile for bytes that are not a tar (a dump streamed from a child). sink()
// takes the plaintext; commit() ends every layer and renames the file into place. Destroyed
// uncommitted (an exception, or a dump found bad), it leaves nothing under the artifact's name.
class ArtifactWriter::StreamArtifact {
public:
    platform::ByteSink& sink() { return counter_; }
    // Plaintext bytes taken so far.
    std::uint64_t plaintext_bytes() const { return counter_.bytes; }
    // `reuse_key`: the keyed digest (ArtifactWriter::keyed_digest) of what makes the content
    // equal from one day to the next (a fingerprint); without one the artifact is never reused.
    report::ArtifactRecord commit(std::optional<report::Digest> reuse_key = std::nullopt);
    ~StreamArtifact();

private:
    friend class ArtifactWriter;
    StreamArtifact(ArtifactWriter& owner, const std::string& name,
                   platform::ProgressMeter* progress);
    struct CountingSink : platform::ByteSink {
        platform::ByteSink* next = nullptr;
        platform::ProgressMeter* progress = nullptr;
        std::uint64_t bytes = 0;
        void write(std::span<const std::byte> data) override;
        void finish() override { next->finish(); }
    };
    ArtifactWriter& owner_;
    DayFile file_;
    std::unique_ptr<age::Encryptor> encryptor_;
    std::unique_ptr<platform::ByteSink> compressor_;
    CountingSink counter_;
    bool committed_ = false;
};

} // namespace offstage::staging
