#include "platform/child_process.hpp"

#include <gtest/gtest.h>

namespace offstage::platform {
namespace {

TEST(ChildProcess, StreamsStandardOutputInOrder) {
    std::string collected;
    std::size_t chunks = 0;
    int status = ChildProcess::run({"/bin/sh", "-c", "seq 1 100000"}, [&](std::string_view chunk) {
        collected.append(chunk);
        ++chunks;
    });
    EXPECT_EQ(status, 0);
    EXPECT_EQ(collected.substr(0, 4), "1\n2\n");
    EXPECT_EQ(collected.size(), 588895u); // the bytes of "1\n".."100000\n"
    EXPECT_GE(chunks, 1u);
}

TEST(ChildProcess, PassesArgumentsWithoutAShellAndSetsTheEnvironment) {
    ChildProcess::Options options;
    options.environment = {{"OFFSTAGE_TEST_VAR", "a b;c"}};
    std::string out = ChildProcess::output({"printenv", "OFFSTAGE_TEST_VAR"}, options);
    EXPECT_EQ(out, "a b;c\n");
    EXPECT_EQ(ChildProcess::output({"/bin/echo", "$HOME", "x y"}), "$HOME x y\n");
}

TEST(ChildProcess, ErrorsNameTheCommandTheStatusAndStderr) {
    try {
        ChildProcess::output({"/bin/sh", "-c", "echo 'no such database' >&2; exit 3"});
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_EQ(error.exit_status(), 3);
        EXPECT_STREQ(error.what(),
                     "/bin/sh -c 'echo '\\''no such database'\\'' >&2; exit 3': exit status 3: "
                     "no such database");
    }
    ChildProcess::Options accept;
    accept.accepted_statuses = {3};
    EXPECT_EQ(ChildProcess::run(
                  {"/bin/sh", "-c", "exit 3"}, [](std::string_view) {}, accept),
              3);
}

TEST(ChildProcess, ReportsSignalsAndProgramsThatDoNotExist) {
    try {
        ChildProcess::output({"/bin/sh", "-c", "kill -TERM $$"});
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_EQ(error.exit_status(), 128 + 15);
        EXPECT_NE(std::string(error.what()).find("killed by signal 15"), std::string::npos);
    }
    try {
        ChildProcess::output({"offstage-no-such-program"});
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_EQ(error.exit_status(), -1);
        EXPECT_NE(std::string(error.what()).find("offstage-no-such-program"), std::string::npos);
    }
    try {
        ChildProcess::output({"/nonexistent/program"});
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_NE(std::string(error.what()).find("/nonexistent/program: cannot start"),
                  std::string::npos)
            << error.what();
    }
}

TEST(ChildProcess, AnExceptionFromTheConsumerStopsTheChild) {
    EXPECT_THROW(ChildProcess::run({"/bin/sh", "-c", "yes"},
                                   [](std::string_view) { throw std::runtime_error("enough"); }),
                 std::runtime_error);
}

} // namespace
} // namespace offstage::platform
