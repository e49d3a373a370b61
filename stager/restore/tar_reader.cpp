#include "stager/restore/tar_reader.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <exception>
#include <memory>
#include <vector>

namespace offstage::restore {

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

} // namespace

TarCounts read_tar_to_end(platform::ByteSource& in, const std::string& name) {
    Input input{in, std::vector<std::byte>(1 << 20), nullptr};
    std::unique_ptr<::archive, ReaderDeleter> reader(archive_read_new());
    if (!reader) {
        throw TarError(name + ": tar: libarchive cannot allocate a reader");
    }
    // Only tar: the compression and encryption layers are peeled by the caller, so a stray
    // filter (gzip inside zstd...) is not offstage's format and is refused.
    archive_read_support_format_tar(reader.get());
    TarCounts counts;
    auto fail = [&](const std::string& where) {
        if (input.failure) {
            std::rethrow_exception(input.failure);
        }
        const char* detail = archive_error_string(reader.get());
        throw TarError(name + ": tar: " + where + ": " + (detail ? detail : "unknown error"));
    };
    if (archive_read_open(reader.get(), &input, nullptr, &Input::read, nullptr) != ARCHIVE_OK) {
        fail("not a tar archive");
    }
    for (;;) {
        archive_entry* entry = nullptr;
        int status = archive_read_next_header(reader.get(), &entry);
        if (status == ARCHIVE_EOF) {
            break;
        }
        // ARCHIVE_WARN (an unknown pax keyword, a name in another charset) still reads whole.
        if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
            fail("entry " + std::to_string(counts.entries + 1));
        }
        ++counts.entries;
        const void* block = nullptr;
        std::size_t size = 0;
        la_int64_t offset = 0;
        for (;;) {
            status = archive_read_data_block(reader.get(), &block, &size, &offset);
            if (status == ARCHIVE_EOF) {
                break;
            }
            if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
                fail("entry " + std::to_string(counts.entries) + " data");
            }
            counts.data_bytes += size;
        }
    }
    if (input.failure) {
        std::rethrow_exception(input.failure);
    }
    return counts;
}

} // namespace offstage::restore
