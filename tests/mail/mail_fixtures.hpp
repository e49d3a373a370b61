// A RunResult like a real run's, for the mail tests, and a reader for the rendered message.
#pragma once

#include "stager/mail/report_mail.hpp"
#include "stager/report/run_result.hpp"

#include <string>
#include <vector>

namespace offstage::mail::test {

// Degraded: files ok, system ok and reused, spool-mail failed (lock timeout); 4 annoying files,
// one of them not UTF-8, one with CR/LF and "Bcc:" in its name; 2 new, 1 gone; a note.
report::RunResult sample_run();

// A fixed Date and Message-ID, so rendering is byte-for-byte repeatable.
MessageIdentity fixed_identity();

// The header block (up to the blank line) and the rest.
struct SplitMessage {
    std::vector<std::string> header_lines;
    std::string body;
};
SplitMessage split_message(const std::string& message);

// Runs tests/mail/check_mail.py (Python's email package) with `arguments`; returns its status
// and prints its output on failure.
int check_with_python(const std::vector<std::string>& arguments, std::string* output = nullptr);

} // namespace offstage::mail::test
