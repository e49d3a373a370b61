#include "stager/status/output_file.hpp"

#include "platform/unique_fd.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <openssl/rand.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::status {
namespace {

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& step, int error) {
    throw std::runtime_error("write " + path.string() + ": " + step + ": " + std::strerror(error));
}

std::string temporary_name(const std::string& name) {
    std::array<unsigned char, 6> random{};
    if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) {
        throw std::runtime_error("OpenSSL's random generator failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string text = "." + name + ".tmp-";
    for (unsigned char byte : random) {
        text += hex[byte >> 4];
        text += hex[byte & 0xf];
    }
    return text;
}

} // namespace

gid_t group_named(const std::string& name) {
    struct group* entry = ::getgrnam(name.c_str());
    if (entry == nullptr) {
        throw std::runtime_error("no group named '" + name + "' on this host");
    }
    return entry->gr_gid;
}

void replace_file(const std::filesystem::path& path, std::string_view content, mode_t mode,
                  std::optional<gid_t> group) {
    std::filesystem::path directory = path.parent_path().empty() ? "." : path.parent_path();
    std::string name = path.filename().string();
    platform::UniqueFd dir(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) {
        fail(path, "open its directory", errno);
    }
    struct stat existing {};
    if (::fstatat(dir.get(), name.c_str(), &existing, AT_SYMLINK_NOFOLLOW) == 0 &&
        !S_ISREG(existing.st_mode)) {
        throw std::runtime_error("write " + path.string() +
                                 ": it exists and is not a regular file (a symlink is not "
                                 "followed): not replaced");
    }
    std::string temporary = temporary_name(name);
    platform::UniqueFd fd(::openat(dir.get(), temporary.c_str(),
                                   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
        fail(path, "create " + temporary, errno);
    }
    try {
        std::size_t done = 0;
        while (done < content.size()) {
            ssize_t wrote = ::write(fd.get(), content.data() + done, content.size() - done);
            if (wrote < 0) {
                if (errno == EINTR) {
                    continue;
                }
                fail(path, "write", errno);
            }
            done += static_cast<std::size_t>(wrote);
        }
        if (group && ::fchown(fd.get(), static_cast<uid_t>(-1), *group) != 0) {
            fail(path, "chgrp " + std::to_string(*group), errno);
        }
        if (::fchmod(fd.get(), mode) != 0) {
            fail(path, "chmod", errno);
        }
        if (::fsync(fd.get()) != 0) {
            fail(path, "fsync", errno);
        }
        if (::renameat(dir.get(), temporary.c_str(), dir.get(), name.c_str()) != 0) {
            fail(path, "rename into place", errno);
        }
    } catch (...) {
        ::unlinkat(dir.get(), temporary.c_str(), 0);
        throw;
    }
    ::fsync(dir.get());
}

} // namespace offstage::status
