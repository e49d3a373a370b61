#include "stager/drill/artifact_reader.hpp"

#include "platform/fd_stream.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/archive/zstd_decompressor.hpp"
#include "stager/restore/artifact_check.hpp"

#include <stdexcept>
#include <vector>

namespace offstage::drill {

struct ArtifactReader::Layers {
    platform::FdSource file;
    age::Decryptor decrypted;
    std::unique_ptr<archive::ZstdDecompressor> decompressed;
    platform::ByteSource* top = nullptr;
    Layers(int fd, const std::string& name, const age::DecryptOptions& options)
        : file(fd, name)
        , decrypted(options, file, name) {}
};

ArtifactReader::ArtifactReader(const restore::DayDirectory& day, const std::string& name,
                               const std::vector<age::X25519Identity>& identities) {
    restore::DayDirectory::Opened opened = day.open_file(name);
    if (opened.state != restore::DayDirectory::Opened::State::open) {
        throw std::runtime_error(
            name + ": cannot open: " + (opened.problem.empty() ? "missing" : opened.problem));
    }
    fd_ = std::move(opened.fd);
    age::DecryptOptions options;
    options.identities = identities;
    options.armored = false;
    layers_ = std::make_unique<Layers>(fd_.get(), name, options);
    layers_->top = &layers_->decrypted;
    if (restore::layers_of(name).zstd) {
        layers_->decompressed =
            std::make_unique<archive::ZstdDecompressor>(layers_->decrypted, name);
        layers_->top = layers_->decompressed.get();
    }
}

ArtifactReader::~ArtifactReader() = default;

std::size_t ArtifactReader::read(std::span<std::byte> buffer) {
    return layers_->top->read(buffer);
}

std::uint64_t ArtifactReader::copy_to(platform::ByteSink& sink) {
    std::vector<std::byte> buffer(1 << 16);
    std::uint64_t total = 0;
    while (std::size_t n = read(buffer)) {
        sink.write(std::span(buffer.data(), n));
        total += n;
    }
    return total;
}

} // namespace offstage::drill
