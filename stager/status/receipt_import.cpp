#include "stager/status/receipt_import.hpp"

#include "platform/staging_layout.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <optional>
#include <stdexcept>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::status {
namespace {

bool digits(std::string_view text) {
    if (text.empty() || text.size() > 3) {
        return false;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool address(std::string_view text) {
    if (text == "-") {
        return true;
    }
    if (text.empty() || text.size() > 45) {
        return false;
    }
    for (char c : text) {
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != '.' && c != ':') {
            return false;
        }
    }
    return true;
}

std::optional<std::chrono::system_clock::time_point> utc_time(std::string_view text) {
    if (text.size() != 20) {
        return std::nullopt;
    }
    std::string copy(text);
    std::tm tm{};
    const char* end = ::strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (end == nullptr || *end != '\0') {
        return std::nullopt;
    }
    return std::chrono::system_clock::from_time_t(::timegm(&tm));
}

// "offstage-receipt/1 TIME client=ADDR status=N served=TOKEN[,TOKEN...]"
bool parse_line(std::string_view line, std::vector<catalog::PullRecord>& out) {
    std::vector<std::string_view> fields;
    while (!line.empty()) {
        std::size_t space = line.find(' ');
        fields.push_back(line.substr(0, space));
        line = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
    }
    if (fields.size() != 5 || fields[0] != "offstage-receipt/1" ||
        !fields[2].starts_with("client=") || !fields[3].starts_with("status=") ||
        !fields[4].starts_with("served=")) {
        return false;
    }
    auto when = utc_time(fields[1]);
    std::string_view client = fields[2].substr(7);
    std::string_view status = fields[3].substr(7);
    std::string_view served = fields[4].substr(7);
    if (!when || !address(client) || !digits(status) || served.empty()) {
        return false;
    }
    std::vector<catalog::PullRecord> pulls;
    for (;;) {
        std::size_t comma = served.find(',');
        std::string_view token = served.substr(0, comma);
        catalog::PullRecord pull{*when, std::string(client), "", true,
                                 std::stoi(std::string(status))};
        if (token == "*") {
            pull.served = "*";
        } else if (token.ends_with(":part") &&
                   platform::staging_layout::is_day_name(token.substr(0, token.size() - 5))) {
            pull.served = std::string(token.substr(0, token.size() - 5));
            pull.whole = false;
        } else if (platform::staging_layout::is_day_name(token)) {
            pull.served = std::string(token);
        } else {
            return false;
        }
        pulls.push_back(std::move(pull));
        if (comma == std::string_view::npos) {
            break;
        }
        served = served.substr(comma + 1);
    }
    out.insert(out.end(), pulls.begin(), pulls.end());
    return true;
}

[[noreturn]] void fail(const std::filesystem::path& file, const std::string& what, int error) {
    throw std::runtime_error("receipts file " + file.string() + ": " + what + ": " +
                             std::strerror(error));
}

} // namespace

ParsedReceipts parse_receipts(std::string_view text) {
    ParsedReceipts parsed;
    while (!text.empty()) {
        std::size_t newline = text.find('\n');
        if (newline == std::string_view::npos) {
            ++parsed.malformed; // a line the shell was cut off writing
            break;
        }
        if (parse_line(text.substr(0, newline), parsed.pulls)) {
            ++parsed.lines;
        } else {
            ++parsed.malformed;
        }
        text = text.substr(newline + 1);
    }
    return parsed;
}

ReceiptImport import_receipts(const std::filesystem::path& file, catalog::Catalog& catalog) {
    ReceiptImport result;
    platform::UniqueFd fd(
        ::open(file.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        if (errno == ENOENT) {
            return result;
        }
        fail(file, "open", errno);
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        fail(file, "stat", errno);
    }
    if (!S_ISREG(info.st_mode)) {
        throw std::runtime_error("receipts file " + file.string() + " is not a regular file");
    }
    // The shell appends under this lock; holding it from the read to the truncation loses no
    // receipt written in between.
    while (::flock(fd.get(), LOCK_EX) != 0) {
        if (errno != EINTR) {
            fail(file, "lock", errno);
        }
    }
    std::string text;
    char buffer[65536];
    while (text.size() < max_receipts_read) {
        ssize_t got = ::read(fd.get(), buffer, sizeof buffer);
        if (got < 0) {
            if (errno == EINTR) {
                continue;
            }
            fail(file, "read", errno);
        }
        if (got == 0) {
            break;
        }
        text.append(buffer, static_cast<std::size_t>(got));
    }
    if (text.empty()) {
        return result;
    }
    ParsedReceipts parsed = parse_receipts(text);
    result.lines = parsed.lines;
    result.malformed = parsed.malformed;
    result.added = catalog.record_pulls(parsed.pulls);
    if (::ftruncate(fd.get(), 0) != 0) {
        fail(file, "empty it after the import", errno);
    }
    return result;
}

} // namespace offstage::status
