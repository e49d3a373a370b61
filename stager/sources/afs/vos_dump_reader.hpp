// A reader of the OpenAFS volume dump format (what `vos dump` writes and `vos restore` reads:
// src/volser/dumpstuff.c), bounded and streaming: the dump header, one or more volume headers,
// the vnodes with their data, and the end marker, each field by its tag, to the last byte. It
// proves a dump is whole and well formed without an AFS server; it does not restore anything.
// A malformed or truncated dump is refused with the byte offset where it went wrong.
#pragma once

#include "platform/byte_stream.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace offstage::sources::afs {

// The bytes a complete dump ends with: the end tag's magic number (DUMPENDMAGIC).
inline constexpr std::uint32_t dump_end_magic = 0x3A214B6E;

class VosDumpError : public std::runtime_error {
public:
    VosDumpError(std::uint64_t offset, const std::string& message)
        : std::runtime_error("byte " + std::to_string(offset) + ": " + message)
        , offset_(offset) {}
    std::uint64_t offset() const { return offset_; }

private:
    std::uint64_t offset_;
};

struct VosDumpSummary {
    std::uint32_t volume_id = 0; // from the dump header
    std::string volume_name;     // from the dump header
    // From the (first) volume header: what `vos examine` of the restored volume must show.
    std::uint32_t update_date = 0;
    std::uint32_t file_count = 0;
    std::uint32_t max_quota = 0;
    std::uint64_t vnodes = 0;
    std::uint64_t data_bytes = 0; // file and directory contents
    std::uint64_t bytes = 0;      // the whole dump
};

// Reads `source` to its end. Memory is bounded (a string field of more than 1 KiB, or an array
// of more than 64 entries, is refused: real ones hold at most a few hundred bytes). Throws
// VosDumpError naming the offset; exceptions of `source` propagate.
VosDumpSummary read_vos_dump(platform::ByteSource& source);

// The last five bytes of a stream, kept as it passes: whether it ends with the end tag and
// dump_end_magic (04 3A 21 4B 6E). The run's cheap check before it commits a dump (the drill
// reads the whole format).
class DumpEndMarker {
public:
    void update(std::string_view chunk);
    bool complete() const;
    std::uint64_t bytes() const { return bytes_; }

private:
    unsigned char tail_[5] = {};
    std::uint64_t bytes_ = 0;
};

} // namespace offstage::sources::afs
