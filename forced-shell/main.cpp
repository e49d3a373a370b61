// offstage-shell: the forced command of the offsite provider's SSH key. See forced_shell.hpp
// and docs/offstage-shell.8.
#include "forced-shell/forced_shell.hpp"

#include <fcntl.h>
#include <unistd.h>

int main(int argc, char** argv) {
    // fds 0-2 must be open before anything else is: otherwise the first file opened (the
    // config, the log) would become "stdout" and a child's output would land in it.
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0) {
            int null_fd = ::open("/dev/null", O_RDWR);
            if (null_fd < 0) {
                return 71;
            }
            if (null_fd != fd) {
                ::dup2(null_fd, fd);
                ::close(null_fd);
            }
        }
    }
    return offstage::forced_shell::ForcedShell::main(std::span<const char* const>(
        const_cast<const char* const*>(argv), static_cast<std::size_t>(argc)));
}
