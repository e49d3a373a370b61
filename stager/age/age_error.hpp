// The one exception type of the age format code. what() names the file or stream and what failed
// ("backup.age: payload chunk 3: authentication tag mismatch"); kind() says which class of
// failure it is, so callers can map it to an exit status and tests to the testkit's outcomes.
#pragma once

#include <stdexcept>
#include <string>

namespace offstage::age {

class AgeError : public std::runtime_error {
public:
    // The classes of failure of the age testkit, plus the ones of the key and stream plumbing.
    enum class Kind {
        other,    // anything else (bad key string, I/O of a wrapped stream, usage)
        armor,    // the ASCII armor is malformed
        header,   // the header is malformed, or a stanza for us is invalid
        hmac,     // the header MAC does not verify (the header was changed)
        no_match, // no identity or passphrase opens any recipient stanza
        payload,  // a STREAM chunk is truncated, tampered, or the stream ends wrongly
    };

    using std::runtime_error::runtime_error;
    AgeError(Kind kind, const std::string& message)
        : std::runtime_error(message)
        , kind_(kind) {}
    Kind kind() const { return kind_; }

private:
    Kind kind_ = Kind::other;
};

} // namespace offstage::age
