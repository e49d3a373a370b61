// `offstage verify`'s checks of one day directory (docs/staging-tree.md, "Verifying a pulled
// tree"), in order: the signature over SHA256SUMS with a public key given from outside; the
// signed comment names this day; SHA256SUMS parses; every listed file is a regular file inside
// the day (no symlink followed) with the listed SHA-256; nothing unlisted; report.json parses
// and agrees with the tree; every artifact's age header (and, given identities, its decryption
// to the end and its zstd and tar layers). It goes on after a failure, so one run names every
// problem, and reports each verdict as soon as it is decided.
#pragma once

#include "stager/age/identity.hpp"
#include "stager/staging/minisign.hpp"
#include "stager/staging/sha256_sums.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace offstage::restore {

struct VerifyOptions {
    std::filesystem::path day_dir;
    staging::MinisignPublicKey public_key;
    // Empty: the artifacts' headers and lengths are checked, not their content.
    std::vector<age::X25519Identity> identities;
};

enum class Verdict {
    ok,
    bad,     // a check failed: the tree is not what was signed, or not whole
    error,   // a check could not run (permission, I/O): nothing is known
    skipped, // a check that depends on a failed one
};

// Every text field is printable (platform::printable_name): names from the tree are escaped.
struct VerdictLine {
    Verdict verdict = Verdict::ok;
    std::string item;   // "signature", "day", "SHA256SUMS", a file's name
    std::string size;   // "1.2 GB" on ok lines of files, else ""
    std::string detail; // what held, or what failed
};

struct VerifySummary {
    std::string day;         // the day verified, "" when it could not be told
    std::string key_id;      // of the public key used
    std::size_t files = 0;   // files listed in SHA256SUMS
    std::uint64_t bytes = 0; // their size
    std::size_t decrypted = 0;
    std::size_t bad = 0;
    std::size_t errors = 0;
    // SHA256SUMS as read and parsed once (trust it only when good()): a restore checks what
    // it reads again against these digests, not against the file, which may change meanwhile.
    std::optional<staging::Sha256Sums> sums;
    bool good() const { return bad == 0 && errors == 0; }
};

// Throws std::system_error when the day directory itself cannot be opened; every other
// problem is a line.
VerifySummary verify_day(const VerifyOptions& options,
                         const std::function<void(const VerdictLine&)>& report);

// "ok  files.tar.zst.age  1.2 GB  decrypted, 55,978 entries", "BAD x.age  sha256 mismatch".
std::string format_line(const VerdictLine& line);
// The closing line, "verified 2026-11-22 ..." or "NOT VERIFIED ...".
std::string format_summary(const VerifySummary& summary, bool decrypting);

// 812 B, 1.2 kB, 1.2 MB, 1.2 GB, 1.2 TB (powers of 1000).
std::string human_bytes(std::uint64_t bytes);
// 55978 -> "55,978".
std::string grouped(std::uint64_t number);

} // namespace offstage::restore
