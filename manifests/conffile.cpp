#include "manifests/conffile.hpp"

#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::manifests {

std::string_view to_string(ConffileState state) {
    switch (state) {
    case ConffileState::unchanged:
        return "unchanged";
    case ConffileState::modified:
        return "modified";
    case ConffileState::missing:
        return "missing";
    case ConffileState::obsolete:
        return "obsolete";
    case ConffileState::fresh:
        return "new";
    case ConffileState::unknown:
        return "unknown";
    }
    return "unknown";
}

std::string Conffile::md5_of_file(int fd, const std::string& name) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) != 1) {
        throw std::runtime_error("md5 of " + name + ": OpenSSL cannot initialise MD5");
    }
    char buffer[65536];
    for (;;) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            platform::throw_errno("read " + name);
        }
        if (n == 0) {
            break;
        }
        EVP_DigestUpdate(context.get(), buffer, static_cast<std::size_t>(n));
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_DigestFinal_ex(context.get(), digest, &length);
    static const char hex[] = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) {
        text += hex[digest[i] >> 4];
        text += hex[digest[i] & 0xf];
    }
    return text;
}

void Conffile::assess(const RootDirectory& root) {
    failed_call.clear();
    error = 0;
    auto unknown = [this](const char* call, int code) {
        state = ConffileState::unknown;
        failed_call = call;
        error = code;
    };
    platform::UniqueFd fd = root.open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!fd) {
        if (errno == ENOENT || errno == ENOTDIR) {
            state = ConffileState::missing;
        } else if (errno == ELOOP) {
            state = ConffileState::modified; // a symlink now stands where the file was
        } else {
            unknown("open conffile", errno);
        }
        return;
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        unknown("stat conffile", errno);
        return;
    }
    if (obsolete) {
        state = ConffileState::obsolete;
    } else if (!S_ISREG(info.st_mode)) {
        state = ConffileState::modified;
    } else if (md5 == "newconffile") {
        state = ConffileState::fresh;
    } else {
        try {
            state = md5_of_file(fd.get(), root.host_path(path)) == md5 ? ConffileState::unchanged
                                                                       : ConffileState::modified;
        } catch (const std::system_error& failure) {
            unknown("read conffile", failure.code().value());
        }
    }
}

} // namespace offstage::manifests
