// libFuzzer target over the age reader a restore trusts with a file from anywhere: armor
// detection and decoding, the header and its stanzas, Bech32 identities, the header MAC and the
// STREAM payload (stager/age's Decryptor).
//
// An input is an age file, or an age testkit vector (fields up to a blank line, then the file),
// so that the testkit folder serves as seed corpus: its vectors carry the identities that open
// them, which lets mutations reach past the header MAC into the payload.
//
// Properties, checked on every input (abort on violation):
// - every failure is an AgeError; nothing else escapes, nothing crashes (ASan, UBSan);
// - the outcome and the plaintext do not depend on how the source hands out its bytes (all at
//   once, or a few at a time), which covers the buffering of the armor and header readers.
// No passphrase is ever given, so scrypt never runs and an input cannot make us allocate its
// work factor's memory.
#include "stager/age/age_error.hpp"
#include "stager/age/decryptor.hpp"
#include "stager/age/identity.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace {

using offstage::age::AgeError;
using offstage::age::DecryptOptions;
using offstage::age::Decryptor;
using offstage::age::X25519Identity;

// The identity most testkit vectors are encrypted to (a published test key, not a secret).
constexpr std::string_view testkit_identity =
    "AGE-SECRET-KEY-1XMWWC06LY3EE5RYTXM9MFLAZ2U56JJJ36S0MYPDRWSVLUL66MV4QX3S7F6";

class MemorySource : public offstage::platform::ByteSource {
public:
    MemorySource(std::string_view data, std::size_t step)
        : data_(data)
        , step_(step) {}
    std::size_t read(std::span<std::byte> buffer) override {
        std::size_t n = std::min({buffer.size(), data_.size(), step_});
        std::memcpy(buffer.data(), data_.data(), n);
        data_.remove_prefix(n);
        return n;
    }

private:
    std::string_view data_;
    std::size_t step_;
};

struct Outcome {
    bool succeeded = false;
    std::string plaintext; // what was released, up to the failure if any
    std::string error;
};

// Splits a testkit vector into its options and the age file; anything else is all file.
std::string_view parse_input(std::string_view input, DecryptOptions& options) {
    std::string_view file = input;
    if (input.rfind("expect: ", 0) == 0) {
        std::size_t blank = input.find("\n\n");
        if (blank != std::string_view::npos) {
            std::string_view fields = input.substr(0, blank + 1);
            file = input.substr(blank + 2);
            std::size_t position = 0;
            while (position < fields.size()) {
                std::size_t end = fields.find('\n', position);
                std::string_view line = fields.substr(position, end - position);
                position = end + 1;
                if (line.rfind("identity: ", 0) == 0) {
                    try {
                        options.identities.push_back(X25519Identity::parse(line.substr(10)));
                    } catch (const AgeError&) {
                        // A mutated key: the file is then tried with the keys that parse.
                    }
                } else if (line == "armored: yes") {
                    options.armored = true;
                }
            }
        }
    }
    if (options.identities.empty()) {
        options.identities.push_back(X25519Identity::parse(testkit_identity));
    }
    return file;
}

Outcome decrypt(const DecryptOptions& options, std::string_view file, std::size_t step) {
    Outcome outcome;
    MemorySource source(file, step);
    try {
        Decryptor decryptor(options, source, "fuzz input");
        std::byte buffer[4096];
        while (std::size_t n = decryptor.read(buffer)) {
            outcome.plaintext.append(reinterpret_cast<const char*>(buffer), n);
        }
        outcome.succeeded = true;
    } catch (const AgeError& error) {
        outcome.error = error.what();
    }
    return outcome;
}

[[noreturn]] void violated(const char* what, const Outcome& whole, const Outcome& pieces) {
    std::fprintf(stderr,
                 "PROPERTY VIOLATED: %s\n  whole: %s, %zu bytes, %s\n  in pieces: %s, %zu "
                 "bytes, %s\n",
                 what, whole.succeeded ? "ok" : "failed", whole.plaintext.size(),
                 whole.error.c_str(), pieces.succeeded ? "ok" : "failed", pieces.plaintext.size(),
                 pieces.error.c_str());
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    DecryptOptions options;
    std::string_view file = parse_input(input, options);
    Outcome whole = decrypt(options, file, SIZE_MAX);
    Outcome pieces = decrypt(options, file, 7);
    if (whole.succeeded != pieces.succeeded) {
        violated("the outcome depends on how the bytes arrive", whole, pieces);
    }
    if (whole.plaintext != pieces.plaintext) {
        violated("the plaintext depends on how the bytes arrive", whole, pieces);
    }
    return 0;
}
