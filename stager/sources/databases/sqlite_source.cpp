#include "stager/sources/databases/sqlite_source.hpp"

#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/catalog/catalog_error.hpp"
#include "stager/staging/artifact_name.hpp"

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace offstage::sources {

namespace fs = std::filesystem;

namespace {

// A private directory (0700) removed with what is in it, whatever happens.
class PrivateTempDir {
public:
    explicit PrivateTempDir(const fs::path& parent) {
        std::string pattern = (parent / "offstage-sqlite-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            platform::throw_errno("mkdtemp " + pattern);
        }
        path_ = pattern;
    }
    ~PrivateTempDir() {
        std::error_code ignored;
        fs::remove_all(path_, ignored);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// One prepared statement over a raw handle, finalized on destruction.
class Statement {
public:
    Statement(const catalog::SqliteConnection& database, const std::string& sql)
        : database_(database) {
        int code = sqlite3_prepare_v2(database.handle(), sql.c_str(), -1, &statement_, nullptr);
        if (code != SQLITE_OK) {
            database.fail(code, "prepare " + sql.substr(0, 60));
        }
    }
    ~Statement() { sqlite3_finalize(statement_); }
    bool step() {
        int code = sqlite3_step(statement_);
        if (code == SQLITE_ROW) {
            return true;
        }
        if (code != SQLITE_DONE) {
            database_.fail(code, "read");
        }
        return false;
    }
    sqlite3_stmt* get() const { return statement_; }
    std::string text(int column) const {
        const unsigned char* value = sqlite3_column_text(statement_, column);
        int size = sqlite3_column_bytes(statement_, column);
        return value == nullptr ? std::string()
                                : std::string(reinterpret_cast<const char*>(value),
                                              static_cast<std::size_t>(size));
    }

private:
    const catalog::SqliteConnection& database_;
    sqlite3_stmt* statement_ = nullptr;
};

std::string quoted_identifier(const std::string& name) {
    std::string text = "\"";
    for (char c : name) {
        text += c;
        if (c == '"') {
            text += '"';
        }
    }
    return text + "\"";
}

// Adds one row's SHA-256 into the two order-independent sums (mod 2^64).
void add_row(sqlite3_stmt* row, std::uint64_t& first, std::uint64_t& second) {
    std::string encoded;
    int columns = sqlite3_column_count(row);
    for (int i = 0; i < columns; ++i) {
        int type = sqlite3_column_type(row, i);
        std::string value;
        if (type == SQLITE_INTEGER) {
            value = std::to_string(sqlite3_column_int64(row, i));
        } else if (type == SQLITE_FLOAT) {
            char buffer[64];
            std::snprintf(buffer, sizeof buffer, "%.17g", sqlite3_column_double(row, i));
            value = buffer;
        } else if (type == SQLITE_TEXT || type == SQLITE_BLOB) {
            const void* data = type == SQLITE_TEXT
                                   ? static_cast<const void*>(sqlite3_column_text(row, i))
                                   : sqlite3_column_blob(row, i);
            int size = sqlite3_column_bytes(row, i);
            value.assign(static_cast<const char*>(data), data == nullptr ? 0 : size);
        }
        // type, length, bytes: no two rows encode alike.
        encoded += static_cast<char>('0' + type);
        encoded += std::to_string(value.size()) + ":" + value;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    EVP_Digest(encoded.data(), encoded.size(), digest.data(), &size, EVP_sha256(), nullptr);
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    for (int i = 0; i < 8; ++i) {
        a = (a << 8) | digest[static_cast<std::size_t>(i)];
        b = (b << 8) | digest[static_cast<std::size_t>(i + 8)];
    }
    first += a;
    second += b;
}

// Copies `source` into the new file `destination` with the backup API: every page in one step,
// so in one read transaction (a consistent state, whatever writers do meanwhile). A writer's lock
// is waited for up to `timeout`.
void backup(const catalog::SqliteConnection& source, const fs::path& destination,
            std::chrono::milliseconds timeout, const std::string& label) {
    {
        platform::UniqueFd fd(::open(destination.c_str(),
                                     O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) {
            platform::throw_errno("create " + destination.string());
        }
    }
    catalog::SqliteConnection target(destination, std::chrono::milliseconds(0),
                                     {false, label + " copy"});
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        sqlite3_backup* copy =
            sqlite3_backup_init(target.handle(), "main", source.handle(), "main");
        if (copy == nullptr) {
            target.fail(sqlite3_extended_errcode(target.handle()), "back up");
        }
        int step = sqlite3_backup_step(copy, -1);
        int finish = sqlite3_backup_finish(copy);
        int primary = step & 0xff;
        if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) &&
            std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            continue;
        }
        if (step == SQLITE_FULL || step == SQLITE_IOERR_WRITE || step == SQLITE_IOERR_FSYNC ||
            step == SQLITE_IOERR_TRUNCATE) {
            // Our own copy could not be written (a full disk): the run's output failed, not
            // the application's database.
            throw std::runtime_error(label + ": cannot write the copy " + destination.string() +
                                     ": " + sqlite3_errstr(step));
        }
        if (step != SQLITE_DONE) {
            source.fail(step, "back up to " + destination.string());
        }
        if (finish != SQLITE_OK) {
            target.fail(finish, "back up");
        }
        return;
    }
}

} // namespace

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char buffer[8];
            std::snprintf(buffer, sizeof buffer, "\\u%04x", u);
            out += buffer;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string sqlite_integrity(const catalog::SqliteConnection& database) {
    Statement check(database, "PRAGMA integrity_check");
    std::string found;
    int lines = 0;
    int code = SQLITE_ROW;
    while ((code = sqlite3_step(check.get())) == SQLITE_ROW) {
        if (lines++ < 5) {
            found += (found.empty() ? "" : "; ") + check.text(0);
        }
    }
    // A page so broken that the check itself stops is a finding too, not a read error.
    if (code != SQLITE_DONE) {
        found +=
            (found.empty() ? "" : "; ") + std::string("the check stopped: ") + sqlite3_errstr(code);
    }
    return found;
}

std::string sqlite_fingerprint(const catalog::SqliteConnection& database) {
    std::string fingerprint(sqlite_fingerprint_header);
    std::vector<std::string> tables;
    {
        Statement schema(database, "SELECT type, name, tbl_name, coalesce(sql, '') FROM "
                                   "sqlite_schema ORDER BY type, name");
        while (schema.step()) {
            std::string type = schema.text(0);
            std::string name = schema.text(1);
            fingerprint += "schema " + json_string(type) + " " + json_string(name) + " " +
                           json_string(schema.text(2)) + " " + json_string(schema.text(3)) + "\n";
            if (type == "table" && !name.starts_with("sqlite_")) {
                tables.push_back(name);
            }
        }
    }
    for (const std::string& table : tables) {
        Statement rows(database, "SELECT * FROM " + quoted_identifier(table));
        std::uint64_t count = 0;
        std::uint64_t first = 0;
        std::uint64_t second = 0;
        while (rows.step()) {
            ++count;
            add_row(rows.get(), first, second);
        }
        fingerprint += "table " + json_string(table) + " rows " + std::to_string(count) + " sum " +
                       std::to_string(first) + " " + std::to_string(second) + "\n";
    }
    return fingerprint;
}

SqliteSource::SqliteSource(SqliteSettings settings)
    : settings_(std::move(settings)) {}

std::string SqliteSource::name() const {
    return "db/sqlite/" + staging::encode_name_component(settings_.name);
}

std::string SqliteSource::copy_artifact(const std::string& name) {
    return "db/sqlite/" + staging::encode_name_component(name) + ".sqlite.zst.age";
}

std::string SqliteSource::fingerprint_artifact(const std::string& name) {
    return "db/sqlite/" + staging::encode_name_component(name) + ".fingerprint.zst.age";
}

void SqliteSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    const std::string label = "sqlite " + platform::printable_name(settings_.name);
    std::optional<PrivateTempDir> temp;
    fs::path copy;
    std::string fingerprint;
    try {
        temp.emplace(settings_.temp_parent);
        copy = temp->path() / "copy.sqlite";
        struct stat info {};
        if (::stat(settings_.path.c_str(), &info) != 0) {
            result.fail(report::ReasonCode::input_unreadable,
                        label + ": " + settings_.path.string() + ": " + std::strerror(errno));
            return;
        }
        if (!S_ISREG(info.st_mode)) {
            result.fail(report::ReasonCode::input_unreadable,
                        label + ": " + settings_.path.string() + ": not a regular file");
            return;
        }
        {
            catalog::SqliteConnection source(settings_.path, settings_.timeout, {true, label});
            backup(source, copy, settings_.timeout, label);
        }
        catalog::SqliteConnection copied(copy, std::chrono::milliseconds(0), {false, label});
        std::string integrity = sqlite_integrity(copied);
        if (integrity != "ok") {
            result.fail(report::ReasonCode::integrity_check_failed,
                        label + ": PRAGMA integrity_check on the copy of " +
                            settings_.path.string() + ": " + platform::printable_name(integrity));
            return;
        }
        fingerprint = sqlite_fingerprint(copied);
    } catch (const catalog::CatalogError& error) {
        std::string message = error.what();
        bool locked = message.find("locked by another process") != std::string::npos;
        result.fail(locked ? report::ReasonCode::lock_timeout
                           : report::ReasonCode::input_unreadable,
                    message);
        return;
    } catch (const std::system_error& error) {
        result.fail(report::ReasonCode::input_unreadable, label + ": " + error.what());
        return;
    }
    result.counts["tables"] = static_cast<std::uint64_t>([&] {
        std::size_t tables = 0;
        for (std::size_t at = 0; (at = fingerprint.find("\ntable ", at)) != std::string::npos;
             ++at) {
            ++tables;
        }
        return tables;
    }());
    const report::Digest key = writer.keyed_digest(fingerprint);
    const std::string copy_name = copy_artifact(settings_.name);
    const std::string fingerprint_name = fingerprint_artifact(settings_.name);
    if (auto reused = writer.reuse(copy_name, key)) {
        result.artifacts.push_back(*reused);
    } else {
        platform::UniqueFd fd(::open(copy.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) {
            platform::throw_errno("open " + copy.string());
        }
        auto artifact = writer.begin_stream(copy_name);
        std::vector<std::byte> buffer(1 << 16);
        while (true) {
            ssize_t n = ::read(fd.get(), buffer.data(), buffer.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                platform::throw_errno("read " + copy.string());
            }
            if (n == 0) {
                break;
            }
            artifact->sink().write(std::span(buffer.data(), static_cast<std::size_t>(n)));
        }
        result.artifacts.push_back(artifact->commit(key));
    }
    if (auto reused = writer.reuse(fingerprint_name, key)) {
        result.artifacts.push_back(*reused);
        return;
    }
    auto artifact = writer.begin_stream(fingerprint_name);
    artifact->sink().write(std::as_bytes(std::span(fingerprint.data(), fingerprint.size())));
    result.artifacts.push_back(artifact->commit(key));
}

} // namespace offstage::sources
