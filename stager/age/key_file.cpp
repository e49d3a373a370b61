#include "stager/age/key_file.hpp"

#include "stager/age/age_error.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::age {

namespace {

// The memory a key file passes through, wiped however reading ends.
struct KeyFileBuffers {
    std::array<char, 4096> block{};
    std::array<char, max_key_file_line> line{};
    std::size_t line_length = 0;
    KeyFileBuffers() = default;
    KeyFileBuffers(const KeyFileBuffers&) = delete;
    KeyFileBuffers& operator=(const KeyFileBuffers&) = delete;
    ~KeyFileBuffers() {
        OPENSSL_cleanse(block.data(), block.size());
        OPENSSL_cleanse(line.data(), line.size());
    }
};

// Why a file of type `mode` on descriptor `fd` cannot be a file of keys, or nullptr. A terminal
// is read (a key typed or pasted, ended by ^D); other devices (/dev/zero, /dev/urandom) never end
// or hold no keys.
const char* not_a_key_file(int fd, mode_t mode) {
    if (S_ISREG(mode) || S_ISFIFO(mode) || S_ISSOCK(mode)) {
        return nullptr;
    }
    if (S_ISCHR(mode)) {
        return ::isatty(fd) == 1 ? nullptr : "a character device";
    }
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISBLK(mode)) {
        return "a block device";
    }
    return "not a regular file";
}

} // namespace

std::string_view trim_white_space(std::string_view text) {
    constexpr std::string_view space = " \t\r\n\v\f";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

void read_key_file(const std::filesystem::path& path, std::string_view kind,
                   const std::function<void(std::string_view)>& parse_line) {
    const std::string file_kind = std::string(kind) + " file " + path.string();
    int raw_fd = ::open(path.c_str(), O_RDONLY | O_NOCTTY | O_CLOEXEC);
    if (raw_fd < 0) {
        throw AgeError("cannot open " + file_kind + ": " + std::strerror(errno));
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } fd{raw_fd};
    struct stat status {};
    if (::fstat(fd.fd, &status) != 0) {
        throw AgeError("cannot examine " + file_kind + ": " + std::strerror(errno));
    }
    if (const char* why = not_a_key_file(fd.fd, status.st_mode)) {
        throw AgeError(path.string() + ": " + why + ", not a key file");
    }
    const std::string too_large = path.string() + ": larger than " +
                                  std::to_string(max_key_file_size / 1024) + " KiB, not a key file";
    if (S_ISREG(status.st_mode) && static_cast<std::size_t>(status.st_size) > max_key_file_size) {
        throw AgeError(too_large);
    }

    KeyFileBuffers buffers;
    std::size_t keys = 0;
    std::size_t number = 1;
    auto take_line = [&] {
        std::string_view text =
            trim_white_space(std::string_view(buffers.line.data(), buffers.line_length));
        buffers.line_length = 0;
        if (text.empty() || text.starts_with('#')) {
            return;
        }
        if (++keys > max_keys_per_file) {
            throw AgeError(path.string() + ":" + std::to_string(number) + ": more than " +
                           std::to_string(max_keys_per_file) + " keys in one file");
        }
        try {
            parse_line(text);
        } catch (const AgeError& error) {
            throw AgeError(path.string() + ":" + std::to_string(number) + ": " + error.what());
        }
    };
    std::size_t total = 0;
    while (true) {
        ssize_t got = ::read(fd.fd, buffers.block.data(), buffers.block.size());
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            throw AgeError("reading " + file_kind + " failed: " + std::strerror(errno));
        }
        if (got == 0) {
            break;
        }
        total += static_cast<std::size_t>(got);
        if (total > max_key_file_size) {
            throw AgeError(too_large);
        }
        for (char c : std::string_view(buffers.block.data(), static_cast<std::size_t>(got))) {
            if (c == '\n') {
                take_line();
                ++number;
            } else if (buffers.line_length == buffers.line.size()) {
                throw AgeError(path.string() + ":" + std::to_string(number) +
                               ": line longer than " + std::to_string(max_key_file_line) +
                               " bytes");
            } else {
                buffers.line[buffers.line_length++] = c;
            }
        }
    }
    take_line(); // a last line without '\n'
    if (keys == 0) {
        throw AgeError(path.string() + ": no " + std::string(kind) + " in the file");
    }
}

} // namespace offstage::age
