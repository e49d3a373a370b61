// Reads a tar stream (offstage writes pax) to its end with libarchive, reading every entry's
// data, so a verifier knows the archive is whole and not merely that it starts well. Nothing
// is written anywhere; entry names are never used.
#pragma once

#include "platform/byte_stream.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

namespace offstage::restore {

class TarError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct TarCounts {
    std::uint64_t entries = 0;
    std::uint64_t data_bytes = 0; // the entries' content
};

// Reads `in` through the tar's end-of-archive marker and returns the counts; what follows the
// marker (the zero padding of the last record) is left in `in` for the caller to drain.
// Throws TarError ("NAME: tar: entry 12: ...") for a malformed archive; rethrows whatever
// `in` threw (a tag failure of the age layer, a zstd error) as it was.
TarCounts read_tar_to_end(platform::ByteSource& in, const std::string& name);

} // namespace offstage::restore
