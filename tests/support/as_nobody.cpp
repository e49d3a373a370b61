#include "tests/support/as_nobody.hpp"

#include <cstdio>
#include <exception>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

namespace offstage::test {

int run_as_nobody(const std::function<int()>& body) {
    pid_t child = ::fork();
    if (child < 0) {
        std::perror("fork");
        return nobody_could_not_drop_root;
    }
    if (child == 0) {
        int status = nobody_could_not_drop_root;
        if (::setgroups(0, nullptr) == 0 && ::setresgid(65534, 65534, 65534) == 0 &&
            ::setresuid(65534, 65534, 65534) == 0) {
            try {
                status = body();
            } catch (const std::exception& error) {
                std::fprintf(stderr, "as nobody: %s\n", error.what());
                status = nobody_threw;
            }
        }
        std::fflush(stderr);
        ::_exit(status);
    }
    int status = 0;
    if (::waitpid(child, &status, 0) != child) {
        std::perror("waitpid");
        return nobody_could_not_drop_root;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace offstage::test
