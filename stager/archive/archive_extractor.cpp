#include "stager/archive/archive_extractor.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/archive/scoped_c_utf8_locale.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <cstring>
#include <exception>
#include <fcntl.h>
#include <memory>
#include <unistd.h>

namespace offstage::archive {

namespace {

// The libarchive read client over a ByteSource; keeps the source's exception for the caller.
struct Input {
    platform::ByteSource& source;
    std::vector<std::byte> buffer = std::vector<std::byte>(1 << 20);
    std::exception_ptr failure;

    static la_ssize_t read(::archive* reader, void* self, const void** data) {
        auto* input = static_cast<Input*>(self);
        try {
            std::size_t n = input->source.read(input->buffer);
            *data = input->buffer.data();
            return static_cast<la_ssize_t>(n);
        } catch (...) {
            input->failure = std::current_exception();
            archive_set_error(reader, EIO, "input failed");
            return -1;
        }
    }
};

struct ReaderDeleter {
    void operator()(::archive* a) const { archive_read_free(a); }
};
struct DiskDeleter {
    void operator()(::archive* a) const { archive_write_free(a); }
};

// Names as offstage writes them are relative and never climb: anything else is refused before
// libarchive sees it (its own SECURE_* flags stay on as a second line).
std::string unsafe_reason(const char* name) {
    if (name == nullptr || *name == '\0') {
        return "an empty name";
    }
    if (name[0] == '/') {
        return "an absolute path";
    }
    std::string_view rest(name);
    while (!rest.empty()) {
        std::size_t slash = rest.find('/');
        std::string_view component = rest.substr(0, slash);
        if (component == "..") {
            return "a '..' component";
        }
        if (slash == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(slash + 1);
    }
    return {};
}

// Restores the working directory on every exit path.
class WorkingDirectoryGuard {
public:
    explicit WorkingDirectoryGuard(const std::filesystem::path& directory)
        : previous_(::open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (!previous_) {
            platform::throw_errno("open the current directory");
        }
        if (::chdir(directory.c_str()) != 0) {
            platform::throw_errno("chdir " + directory.string());
        }
    }
    ~WorkingDirectoryGuard() {
        if (::fchdir(previous_.get()) != 0) {
            // Nothing sane to do in a destructor; the next relative path would be wrong, so
            // fail loudly rather than write somewhere unexpected.
            std::terminate();
        }
    }
    WorkingDirectoryGuard(const WorkingDirectoryGuard&) = delete;
    WorkingDirectoryGuard& operator=(const WorkingDirectoryGuard&) = delete;

private:
    platform::UniqueFd previous_;
};

} // namespace

ArchiveExtractor::ArchiveExtractor(platform::ByteSource& in, std::string name, bool restore_owners,
                                   platform::ProgressMeter* progress)
    : in_(in)
    , name_(std::move(name))
    , restore_owners_(restore_owners)
    , progress_(progress) {}

void ArchiveExtractor::extract_to(const std::filesystem::path& directory) {
    ScopedCUtf8Locale locale;
    std::filesystem::create_directories(directory);

    Input input{in_, std::vector<std::byte>(1 << 20), nullptr};
    std::unique_ptr<::archive, ReaderDeleter> reader(archive_read_new());
    std::unique_ptr<::archive, DiskDeleter> disk(archive_write_disk_new());
    if (!reader || !disk) {
        throw std::runtime_error("libarchive: cannot allocate the extractor");
    }
    // Exactly what offstage writes: a tar (pax) stream, zstd-compressed or not.
    archive_read_support_filter_zstd(reader.get());
    archive_read_support_format_tar(reader.get());

    int flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_ACL |
                ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_SPARSE | ARCHIVE_EXTRACT_SECURE_NODOTDOT |
                ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
    if (restore_owners_) {
        flags |= ARCHIVE_EXTRACT_OWNER;
    }
    archive_write_disk_set_options(disk.get(), flags);
    archive_write_disk_set_standard_lookup(disk.get());

    auto fail_input = [&](const std::string& what) {
        if (input.failure) {
            std::rethrow_exception(input.failure);
        }
        const char* detail = archive_error_string(reader.get());
        throw std::runtime_error(name_ + ": " + what + ": " + (detail ? detail : "unknown error"));
    };

    WorkingDirectoryGuard in_target(directory);
    if (archive_read_open(reader.get(), &input, nullptr, &Input::read, nullptr) != ARCHIVE_OK) {
        fail_input("not an offstage archive (pax tar, zstd or uncompressed)");
    }
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) {
            break;
        }
        if (status == ARCHIVE_FATAL || status == ARCHIVE_RETRY) {
            fail_input("reading entry " + std::to_string(counts_.entries + 1));
        }
        const char* raw_name = archive_entry_pathname(entry);
        std::string path = raw_name ? raw_name : "";
        if (status == ARCHIVE_WARN) {
            problems_.push_back(
                {path, std::string("warning: ") + archive_error_string(reader.get())});
        }
        if (std::string why = unsafe_reason(raw_name); !why.empty()) {
            throw UnsafeEntryError(name_ + ": refusing entry '" + path + "': " + why +
                                   " would escape the target directory");
        }
        if (const char* link = archive_entry_hardlink(entry)) {
            if (std::string why = unsafe_reason(link); !why.empty()) {
                throw UnsafeEntryError(name_ + ": refusing hardlink '" + path + "' to '" + link +
                                       "': " + why + " would escape the target directory");
            }
        }
        ++counts_.entries;
        if (progress_ != nullptr) {
            progress_->add_file();
        }
        status = archive_write_header(disk.get(), entry);
        if (status < ARCHIVE_WARN) {
            problems_.push_back(
                {path, std::string("not extracted: ") + archive_error_string(disk.get())});
            if (status == ARCHIVE_FATAL) {
                throw std::runtime_error(name_ + ": extracting '" + path +
                                         "': " + archive_error_string(disk.get()));
            }
            continue; // libarchive skips the entry's data on the next header
        }
        if (status == ARCHIVE_WARN) {
            problems_.push_back({path, std::string("extracted with a warning: ") +
                                           archive_error_string(disk.get())});
        }
        if (archive_entry_size(entry) > 0) {
            for (;;) {
                const void* block = nullptr;
                std::size_t size = 0;
                la_int64_t offset = 0;
                status = archive_read_data_block(reader.get(), &block, &size, &offset);
                if (status == ARCHIVE_EOF) {
                    break;
                }
                if (status < ARCHIVE_WARN) {
                    fail_input("reading the data of '" + path + "'");
                }
                // Blocks come with their offsets: seeking over the gaps recreates the holes.
                if (archive_write_data_block(disk.get(), block, size, offset) < ARCHIVE_WARN) {
                    throw std::runtime_error(name_ + ": writing '" + path +
                                             "': " + archive_error_string(disk.get()));
                }
                counts_.bytes_written += size;
                if (progress_ != nullptr) {
                    progress_->add_bytes(size);
                }
            }
        }
        status = archive_write_finish_entry(disk.get());
        if (status < ARCHIVE_OK) {
            problems_.push_back({path, std::string("metadata not fully restored: ") +
                                           archive_error_string(disk.get())});
            if (status == ARCHIVE_FATAL) {
                throw std::runtime_error(name_ + ": finishing '" + path +
                                         "': " + archive_error_string(disk.get()));
            }
        }
    }
    // libarchive stops at the tar end marker; read the rest of the input so that a decrypting
    // source reaches (and authenticates) its final chunk: a file cut or changed after the end
    // marker is an error too, not silently accepted.
    while (in_.read(input.buffer) > 0) {
    }
    // Directory modes and times are set last (their contents changed them meanwhile).
    if (archive_write_close(disk.get()) != ARCHIVE_OK) {
        problems_.push_back({directory.string(), std::string("directory metadata: ") +
                                                     archive_error_string(disk.get())});
    }
}

} // namespace offstage::archive
