// The report mail `offstage run` handed to sendmail, as the capture script of ShellDeployment
// kept it: its headers and its quoted-printable body decoded (docs/mail.md), and the lists of
// names the body holds. For the tests' assertions and the demo's "the mail that would have gone
// out".
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::e2e {

class SentMail {
public:
    // Throws std::runtime_error when the file cannot be read or has no header/body separator.
    static SentMail read(const std::filesystem::path& file);

    // The header block as sent (unfolded lines kept as they are).
    const std::string& headers() const { return headers_; }
    // The value of the first header named `name` (case-insensitive), folded lines joined.
    std::optional<std::string> header(const std::string& name) const;
    // The body, quoted-printable decoded: UTF-8 text.
    const std::string& body() const { return body_; }

    // The names listed under the body line that starts with `title` (e.g. "New annoying files
    // since the last run"), or under the heading "== TITLE ..." : the indented lines that follow
    // it, without their indentation, in order. Empty when there is no such line.
    std::vector<std::string> listed_under(const std::string& title) const;

private:
    std::string headers_;
    std::string body_;
};

// Quoted-printable (RFC 2045 6.7) decoded: "=XX" is a byte, "=" at the end of a line joins it
// to the next.
std::string decode_quoted_printable(const std::string& text);

} // namespace offstage::e2e
