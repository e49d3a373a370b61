// An artifact's file as a ByteSource, hashed (SHA-256) as its bytes pass: what verify checked
// and what restore extracted are exactly the bytes digested, never a second read of the file.
// An I/O error of the file is remembered, so a caller can tell "the file could not be read" (not
// a verdict) from "its content is wrong".
#pragma once

#include "platform/byte_stream.hpp"
#include "platform/fd_stream.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

struct evp_md_ctx_st;

namespace offstage::restore {

class HashingSource : public platform::ByteSource {
public:
    // Reads `fd` (not owned); `name` names the file in errors.
    HashingSource(int fd, const std::string& name);
    ~HashingSource() override;
    HashingSource(const HashingSource&) = delete;
    HashingSource& operator=(const HashingSource&) = delete;

    // Rethrows the file's I/O error after remembering it.
    std::size_t read(std::span<std::byte> buffer) override;

    // Reads what the caller left unread, so the digest covers the whole file, and returns it.
    staging::Sha256Digest finish();

    std::uint64_t bytes() const { return bytes_; }
    std::exception_ptr io_failure() const { return io_failure_; }

private:
    platform::FdSource file_;
    evp_md_ctx_st* context_;
    std::uint64_t bytes_ = 0;
    std::exception_ptr io_failure_;
};

} // namespace offstage::restore
