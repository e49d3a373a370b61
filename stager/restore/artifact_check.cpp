#include "stager/restore/artifact_check.hpp"

#include "platform/fd_stream.hpp"
#include "stager/age/age_error.hpp"
#include "stager/age/buffered_reader.hpp"
#include "stager/age/chunk_cipher.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/header.hpp"
#include "stager/age/stream.hpp"
#include "stager/archive/zstd_decompressor.hpp"
#include "stager/restore/hashing_source.hpp"
#include "stager/restore/tar_reader.hpp"

#include <exception>
#include <memory>
#include <openssl/evp.h>
#include <system_error>

namespace offstage::restore {

namespace {

constexpr std::size_t block_size = 1 << 20;

std::uint64_t drain(platform::ByteSource& source) {
    std::vector<std::byte> buffer(block_size);
    std::uint64_t total = 0;
    while (std::size_t got = source.read(buffer)) {
        total += got;
    }
    return total;
}

// What lies after the header must be the 16-byte nonce and whole STREAM chunks: full ones and
// a final one of 1..64 KiB of plaintext plus its tag (empty only when it is the sole chunk).
std::optional<std::string> payload_structure_problem(std::uint64_t payload) {
    if (payload < age::stream::nonce_size + age::ChunkCipher::tag_size) {
        return "age: the payload is shorter than a nonce and one chunk (truncated)";
    }
    std::uint64_t chunks = payload - age::stream::nonce_size;
    std::uint64_t full = chunks / age::stream::sealed_chunk_size;
    std::uint64_t last = chunks % age::stream::sealed_chunk_size;
    if (last == 0) {
        return std::nullopt; // the final chunk is a full one
    }
    if (last < age::ChunkCipher::tag_size || (last == age::ChunkCipher::tag_size && full > 0)) {
        return "age: the payload does not end on a chunk (truncated after " + std::to_string(full) +
               " full chunks)";
    }
    return std::nullopt;
}

bool ends_with(std::string_view text, std::string_view suffix) {
    return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

// The verdict line names the file already: "x.age: zstd: ..." -> "zstd: ...".
std::string without_name(std::string_view message, const std::string& name) {
    std::string prefix = name + ": ";
    if (message.starts_with(prefix)) {
        message.remove_prefix(prefix.size());
    }
    return std::string(message);
}

} // namespace

ArtifactLayers layers_of(std::string_view name) {
    ArtifactLayers layers;
    if (!ends_with(name, ".age")) {
        return layers;
    }
    layers.age = true;
    name.remove_suffix(4);
    if (ends_with(name, ".zst")) {
        layers.zstd = true;
        name.remove_suffix(4);
    }
    layers.tar = ends_with(name, ".tar");
    return layers;
}

ArtifactCheck hash_file(int fd, const std::string& name) {
    HashingSource source(fd, name);
    ArtifactCheck check;
    check.sha256 = source.finish();
    check.bytes = source.bytes();
    return check;
}

ArtifactCheck check_artifact(int fd, const std::string& name,
                             const std::vector<age::X25519Identity>& identities) {
    HashingSource source(fd, name);
    ArtifactCheck check;
    ArtifactLayers layers = layers_of(name);
    try {
        if (identities.empty()) {
            age::BufferedReader reader(source);
            age::Header header = age::Header::parse(reader);
            check.recipients = header.stanzas().size();
            // The MAC line: "--- " (mac_input ends with "---") + 43 base64 characters + "\n".
            std::uint64_t header_size = header.mac_input().size() + 1 + 43 + 1;
            drain(reader);
            std::uint64_t payload = source.bytes() - header_size;
            check.problem = payload_structure_problem(payload);
        } else {
            age::DecryptOptions options;
            options.identities = identities;
            options.armored = false; // offstage writes binary age; armor is not its format
            age::Decryptor decryptor(options, source, name);
            std::unique_ptr<archive::ZstdDecompressor> decompressor;
            platform::ByteSource* plain = &decryptor;
            if (layers.zstd) {
                decompressor = std::make_unique<archive::ZstdDecompressor>(decryptor, name);
                plain = decompressor.get();
            }
            if (layers.tar) {
                TarCounts counts = read_tar_to_end(*plain, name);
                check.tar_entries = counts.entries;
                check.plaintext_bytes = counts.data_bytes;
            }
            // The rest: the whole content of a plain layer, the padding after the tar's end.
            // Only at its end are the final age chunk and the last zstd frame proven.
            check.plaintext_bytes += drain(*plain);
            check.decrypted = true;
        }
    } catch (const age::AgeError& error) {
        check.problem = "age: " + without_name(error.what(), name);
    } catch (const archive::ZstdError& error) {
        check.problem = without_name(error.what(), name);
    } catch (const TarError& error) {
        check.problem = without_name(error.what(), name);
    } catch (const std::system_error&) {
        if (!source.io_failure()) {
            throw;
        }
    }
    if (source.io_failure()) {
        std::rethrow_exception(source.io_failure());
    }
    check.sha256 = source.finish();
    check.bytes = source.bytes();
    return check;
}

} // namespace offstage::restore
