#include "platform/child_process.hpp"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

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
    std::string out = ChildProcess::output({"/usr/bin/printenv", "OFFSTAGE_TEST_VAR"}, options);
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

// The stager's children follow the forced shell's rules: an absolute path (no PATH search, so
// a PATH planted by whoever started offstage picks no program), an environment built from
// nothing (no LD_PRELOAD, no IFS, no locale the caller happened to have), only descriptors 0-2.
TEST(ChildProcess, RefusesAProgramThatIsNotAnAbsolutePath) {
    for (const char* program : {"printenv", "bin/true", "offstage-no-such-program"}) {
        try {
            ChildProcess::output({program});
            FAIL() << "expected an error for " << program;
        } catch (const ChildProcessError& error) {
            EXPECT_EQ(error.exit_status(), -1);
            EXPECT_NE(std::string(error.what())
                          .find(std::string(program) + ": cannot start: not an absolute path"),
                      std::string::npos)
                << error.what();
        }
    }
}

TEST(ChildProcess, BuildsTheEnvironmentFromNothing) {
    ::setenv("OFFSTAGE_TEST_LEAK", "from the caller", 1);
    ChildProcess::Options options;
    options.environment = {{"LC_ALL", "C"}, {"OFFSTAGE_TEST_VAR", "x"}};
    EXPECT_EQ(ChildProcess::output({"/usr/bin/env"}, options), "LC_ALL=C\nOFFSTAGE_TEST_VAR=x\n");
    EXPECT_EQ(ChildProcess::output({"/usr/bin/env"}), "");
    ::unsetenv("OFFSTAGE_TEST_LEAK");
}

TEST(ChildProcess, PassesNoDescriptorBeyondTheStandardThree) {
    // Opened without O_CLOEXEC, as a careless library would.
    int leaky = ::open("/dev/null", O_RDONLY);
    ASSERT_GE(leaky, 3);
    std::string fd = std::to_string(leaky);
    std::string out = ChildProcess::output(
        {"/bin/sh", "-c",
         "if [ -e /proc/self/fd/" + fd + " ]; then echo open; else echo closed; fi"});
    ::close(leaky);
    EXPECT_EQ(out, "closed\n");
}

TEST(ChildProcess, StartsTheChildWithDefaultSignalHandling) {
    // offstage may ignore SIGPIPE for its own writes; a child must not inherit that, or a
    // pipeline in it would write on into a closed pipe.
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction saved {};
    ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &saved), 0);
    std::string out = ChildProcess::output({"/bin/grep", "^SigIgn:", "/proc/self/status"});
    ::sigaction(SIGPIPE, &saved, nullptr);
    EXPECT_EQ(out, "SigIgn:\t0000000000000000\n");
}

TEST(ChildProcess, FeedsTheInputOnStandardInputElseNothing) {
    std::string input;
    for (int i = 0; i < 200000; ++i) {
        input += "line " + std::to_string(i) + '\n'; // well over a pipe's buffer
    }
    ChildProcess::Options options;
    options.input = input;
    std::string out = ChildProcess::output({"/bin/cat"}, options);
    EXPECT_EQ(out.size(), input.size());
    EXPECT_TRUE(out == input); // (not EXPECT_EQ: a failure would print 2.5 MB)
    EXPECT_EQ(ChildProcess::output({"/bin/cat"}), "");
}

TEST(ChildProcess, AChildThatStopsReadingItsInputFailsByItsStatusNotByOurSignal) {
    ChildProcess::Options options;
    options.input = std::string(4 << 20, 'x');
    try {
        ChildProcess::output({"/bin/sh", "-c", "echo 'refused' >&2; exit 1"}, options);
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_EQ(error.exit_status(), 1);
        EXPECT_NE(std::string(error.what()).find("exit status 1: refused"), std::string::npos)
            << error.what();
    }
}

TEST(ChildProcess, ATimeoutKillsTheChildAndSaysSo) {
    using namespace std::chrono_literals;
    ChildProcess::Options options;
    options.timeout = 300ms;
    // Once with its output open, once with a child that closed it and runs on.
    for (std::string script : {"echo 'still thinking' >&2; exec /bin/sleep 30",
                               "exec >&- 2>&- </dev/null; exec /bin/sleep 30"}) {
        auto start = std::chrono::steady_clock::now();
        try {
            ChildProcess::output({"/bin/sh", "-c", script}, options);
            FAIL() << "expected a timeout";
        } catch (const ChildProcessError& error) {
            EXPECT_TRUE(error.timed_out());
            EXPECT_EQ(error.exit_status(), 128 + SIGKILL);
            EXPECT_NE(std::string(error.what()).find("timed out after 0.3 s"), std::string::npos)
                << error.what();
        }
        EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    }
    try {
        options.input = std::string(4 << 20, 'x'); // a child that never reads its input
        ChildProcess::output({"/bin/sleep", "30"}, options);
        FAIL() << "expected a timeout";
    } catch (const ChildProcessError& error) {
        EXPECT_TRUE(error.timed_out());
    }
}

TEST(ChildProcess, RunsAsTheGivenUserWithItsGroupsOnly) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "dropping to another user needs root";
    }
    ChildProcess::Options options;
    options.user = ChildUser::lookup("nobody");
    options.working_directory = "/";
    std::string ids = ChildProcess::output({"/usr/bin/id", "-u"}, options) +
                      ChildProcess::output({"/usr/bin/id", "-G"}, options) +
                      ChildProcess::output({"/bin/pwd"}, options);
    std::string expected = std::to_string(options.user->uid) + "\n";
    for (std::size_t i = 0; i < options.user->groups.size(); ++i) {
        expected += (i == 0 ? "" : " ") + std::to_string(options.user->groups[i]);
    }
    EXPECT_EQ(ids, expected + "\n/\n");
    EXPECT_THROW(ChildUser::lookup("no-such-user-offstage"), std::runtime_error);
}

TEST(ChildProcess, AWorkingDirectoryThatCannotBeEnteredFailsTheChildWithAReason) {
    ChildProcess::Options options;
    options.working_directory = "/nonexistent/directory";
    try {
        ChildProcess::output({"/bin/true"}, options);
        FAIL() << "expected an error";
    } catch (const ChildProcessError& error) {
        EXPECT_EQ(error.exit_status(), 126);
        EXPECT_NE(std::string(error.what()).find("cannot enter the working directory"),
                  std::string::npos)
            << error.what();
    }
}

TEST(ChildProcess, HandsTheStandardErrorToTheCallerWhateverTheStatus) {
    std::string errors;
    ChildProcess::Options options;
    options.error_output = &errors;
    ChildProcess::output({"/bin/sh", "-c", "echo warning: table t is MyISAM >&2"}, options);
    EXPECT_EQ(errors, "warning: table t is MyISAM\n");
}

TEST(ChildProcess, OnStartGetsThePidOfAChildThatLeadsItsOwnProcessGroupWhenAsked) {
    for (bool own_group : {false, true}) {
        ChildProcess::Options options;
        options.own_process_group = own_group;
        pid_t started = 0;
        options.on_start = [&](pid_t pid) { started = pid; };
        // The shell prints its own pid and its process group (the 5th field of its stat).
        std::string out = ChildProcess::output(
            {"/bin/sh", "-c", "echo $$ $(cut -d ' ' -f 5 /proc/$$/stat)"}, options);
        std::istringstream fields(out);
        pid_t pid = 0, group = 0;
        fields >> pid >> group;
        EXPECT_EQ(pid, started) << out;
        if (own_group) {
            EXPECT_EQ(group, pid) << out;
        } else {
            EXPECT_EQ(group, ::getpgrp()) << out;
        }
    }
}

TEST(ChildProcess, AnExceptionFromOnStartKillsTheChildAndPropagates) {
    ChildProcess::Options options;
    pid_t started = 0;
    options.on_start = [&](pid_t pid) {
        started = pid;
        throw std::runtime_error("watchdog gone");
    };
    EXPECT_THROW(ChildProcess::output({"/bin/sleep", "600"}, options), std::runtime_error);
    ASSERT_GT(started, 0);
    EXPECT_NE(::kill(started, 0), 0) << "the child outlived the exception";
}

} // namespace
} // namespace offstage::platform
