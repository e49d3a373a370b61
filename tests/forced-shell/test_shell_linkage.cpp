// What the built offstage-shell binary links and imports: the part an attacker talks to holds
// no crypto, no libarchive, no SQLite, no Boost, and reaches programs only through execve.
#include "tests/support/run_command.hpp"

#include <gtest/gtest.h>
#include <string>

namespace offstage::test {
namespace {

std::string dynamic_section() {
    CommandResult result = run_command({"readelf", "--dynamic", built_program("offstage-shell")});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return result.out;
}

std::string imported_symbols() {
    CommandResult result =
        run_command({"nm", "--dynamic", "--undefined-only", built_program("offstage-shell")});
    EXPECT_EQ(result.exit_status, 0) << result.err;
    return result.out;
}

TEST(ShellLinkage, NeedsNoCryptoArchiveDatabaseOrBoostLibrary) {
    std::string needed = dynamic_section();
    ASSERT_NE(needed.find("(NEEDED)"), std::string::npos) << needed;
    ASSERT_NE(needed.find("libc.so"), std::string::npos) << needed;
    for (const char* forbidden :
         {"libcrypto", "libssl", "libarchive", "libsqlite", "libboost", "libzstd", "libtoml"}) {
        EXPECT_EQ(needed.find(forbidden), std::string::npos) << forbidden << " in\n" << needed;
    }
}

TEST(ShellLinkage, ImportsExecveButNoShellRunningCall) {
    CommandResult defined =
        run_command({"nm", "--dynamic", "--defined-only", built_program("offstage-shell")});
    if (defined.out.find("__asan_init") != std::string::npos) {
        GTEST_SKIP() << "a sanitizer runtime is linked in and imports calls of its own; "
                        "the normal build checks this";
    }
    std::string symbols = imported_symbols();
    ASSERT_NE(symbols.find(" execve@"), std::string::npos) << symbols;
    for (const char* forbidden : {" system@", " popen@", " execvp@", " execlp@", " execl@",
                                  " posix_spawnp@", " wordexp@", " dlopen@"}) {
        EXPECT_EQ(symbols.find(forbidden), std::string::npos) << forbidden << " imported";
    }
}

} // namespace
} // namespace offstage::test
