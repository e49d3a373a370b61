#include "stager/staging/artifact_writer.hpp"

#include "platform/system_error.hpp"
#include "stager/archive/zstd_compressor.hpp"
#include "stager/staging/artifact_name.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::staging {

ArtifactWriter::ArtifactWriter(const WorkDir& work, ArtifactSettings settings, DigestKey digest_key,
                               PreviousArtifacts previous)
    : work_(work)
    , settings_(std::move(settings))
    , digest_key_(digest_key)
    , previous_(std::move(previous)) {}

ArtifactWriter::~ArtifactWriter() = default;

std::unique_ptr<ArtifactWriter::TarArtifact>
ArtifactWriter::begin_tar(const std::string& name, Reuse reuse, platform::ProgressMeter* progress) {
    if (!is_artifact_name(name) || sums_.contains(name)) {
        throw StagingError("'" + name + "' is not a new artifact name (docs/staging-tree.md)");
    }
    return std::unique_ptr<TarArtifact>(new TarArtifact(*this, name, reuse, progress));
}

std::unique_ptr<ArtifactWriter::StreamArtifact>
ArtifactWriter::begin_stream(const std::string& name, platform::ProgressMeter* progress) {
    if (!is_artifact_name(name) || sums_.contains(name)) {
        throw StagingError("'" + name + "' is not a new artifact name (docs/staging-tree.md)");
    }
    return std::unique_ptr<StreamArtifact>(new StreamArtifact(*this, name, progress));
}

report::Digest ArtifactWriter::keyed_digest(std::string_view content) const {
    KeyedDigestSink sink(digest_key_);
    sink.write(std::as_bytes(std::span(content.data(), content.size())));
    sink.finish();
    return sink.digest();
}

report::Digest
ArtifactWriter::digest_of(const std::function<void(platform::ByteSink&)>& produce) const {
    KeyedDigestSink sink(digest_key_);
    produce(sink);
    sink.finish();
    return sink.digest();
}

std::optional<report::ArtifactRecord>
ArtifactWriter::reuse(const std::string& name, const report::Digest& plaintext_digest) {
    if (!previous_ || !is_artifact_name(name) || sums_.contains(name)) {
        return std::nullopt;
    }
    std::optional<PreviousArtifact> previous = previous_(name);
    if (!previous || previous->plaintext_digest != plaintext_digest) {
        return std::nullopt;
    }
    struct stat info {};
    if (::lstat(previous->path.c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
        static_cast<std::uint64_t>(info.st_size) != previous->bytes) {
        return std::nullopt; // gone or not what was recorded: write it anew
    }
    std::filesystem::path target = work_.path() / name;
    for (std::filesystem::path directory = work_.path();
         const auto& component : std::filesystem::path(name).parent_path()) {
        directory /= component;
        if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
            platform::throw_errno("create " + directory.string());
        }
    }
    if (::link(previous->path.c_str(), target.c_str()) != 0) {
        if (errno == EXDEV || errno == EPERM || errno == EMLINK) {
            return std::nullopt; // cannot share the inode: write it anew
        }
        platform::throw_errno("link " + previous->path.string() + " to " + target.string());
    }
    report::ArtifactRecord record{name, previous->bytes, previous->sha256,
                                  previous->plaintext_digest, true};
    this->record(record);
    return record;
}

void ArtifactWriter::record(const report::ArtifactRecord& artifact) {
    sums_[artifact.name] = artifact.sha256;
}

ArtifactWriter::TarArtifact::TarArtifact(ArtifactWriter& owner, const std::string& name,
                                         Reuse reuse, platform::ProgressMeter* progress)
    : owner_(owner)
    , file_(owner.work_, name) {
    if (reuse == Reuse::digested) {
        plaintext_.emplace(owner.digest_key_);
    }
    writer_ = std::make_unique<archive::EncryptedArchiveWriter>(
        file_, owner.settings_.keys, owner.settings_.compression, progress,
        plaintext_ ? &*plaintext_ : nullptr);
    writer_->tar().set_reproducible(true);
}

ArtifactWriter::TarArtifact::~TarArtifact() = default;

report::ArtifactRecord ArtifactWriter::TarArtifact::commit() {
    writer_->commit(); // ends tar, zstd and age, then finishes the DayFile (fsync, rename)
    std::optional<report::Digest> plaintext;
    if (plaintext_) {
        plaintext_->finish();
        plaintext = plaintext_->digest();
    }
    report::ArtifactRecord record{file_.name(), file_.size(), file_.sha256(), plaintext, false};
    owner_.record(record);
    return record;
}

ArtifactWriter::StreamArtifact::StreamArtifact(ArtifactWriter& owner, const std::string& name,
                                               platform::ProgressMeter* progress)
    : owner_(owner)
    , file_(owner.work_, name) {
    encryptor_ = std::make_unique<age::Encryptor>(owner.settings_.keys, file_);
    platform::ByteSink* next = encryptor_.get();
    // The name says the layers (docs/staging-tree.md): only a name ending ".zst.age" has a zstd
    // layer ("NAME.pgdump.age", of days staged by earlier builds, has none: pg_dump compressed it),
    // and the readers go by the name.
    if (owner.settings_.compression.zstd && name.ends_with(".zst.age")) {
        compressor_ = std::make_unique<archive::ZstdCompressor>(
            archive::ZstdSettings{owner.settings_.compression.level,
                                  archive::zstd_workers_for(owner.settings_.compression.threads)},
            *encryptor_);
        next = compressor_.get();
    }
    counter_.next = next;
    counter_.progress = progress;
}

ArtifactWriter::StreamArtifact::~StreamArtifact() {
    // Stop the compressor's workers before the encryptor they feed goes away; the DayFile,
    // unfinished, removes its temp file.
    compressor_.reset();
    encryptor_.reset();
}

void ArtifactWriter::StreamArtifact::CountingSink::write(std::span<const std::byte> data) {
    next->write(data);
    bytes += data.size();
    if (progress != nullptr) {
        progress->add_bytes(data.size());
    }
}

report::ArtifactRecord
ArtifactWriter::StreamArtifact::commit(std::optional<report::Digest> reuse_key) {
    if (committed_) {
        throw StagingError("artifact " + file_.name() + " committed twice");
    }
    counter_.finish(); // zstd's frame end, age's last chunk, then the DayFile's fsync and rename
    committed_ = true;
    report::ArtifactRecord record{file_.name(), file_.size(), file_.sha256(), reuse_key, false};
    owner_.record(record);
    return record;
}

} // namespace offstage::staging
