// Both programs on bad configuration files, run as an admin runs them: every command of
// `offstage` that reads offstage.toml (scan, policy check, archive, encrypt) and
// `offstage-shell --check` refuse the same files, with the same FILE:LINE:COL, with exit status
// 3 (78 for the shell), even when the command line overrides the bad value.
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <string>
#include <vector>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

constexpr int exit_usage = 2;
constexpr int exit_config = 3;
constexpr int exit_shell_config = 78;

class ConfigCommands : public ::testing::Test {
protected:
    void SetUp() override {
        CommandResult key = run_command({offstage(), "key", "generate", "-o", key_.string()});
        ASSERT_EQ(key.exit_status, 0) << key.err;
        CommandResult recipient = run_command({offstage(), "key", "recipient", key_.string()});
        ASSERT_EQ(recipient.exit_status, 0) << recipient.err;
        recipient_ = recipient.out.substr(0, recipient.out.find('\n'));
        write_file(dir_ / "in" / "file", "content\n");
        fs::create_directories(dir_ / "policy.d");
        fs::create_directories(dir_ / "root");
    }

    static std::string offstage() { return built_program("offstage").string(); }

    struct Run {
        std::string command; // for messages
        int expected_status;
        CommandResult result;
        std::string text; // where the command says what is wrong
    };

    // Every command that reads `config`, each with command-line options that override what
    // the file could say, under `prefix` (e.g. taskset).
    std::vector<Run> run_all(const fs::path& config, const std::vector<std::string>& prefix = {}) {
        const std::string file = config.string();
        const std::string out = (dir_ / "out.age").string();
        std::vector<Run> runs;
        auto run = [&](std::string name, int status, std::vector<std::string> argv,
                       bool to_stdout = false) {
            argv.insert(argv.begin(), prefix.begin(), prefix.end());
            CommandResult result = run_command(argv);
            std::string text = to_stdout ? result.out : result.err;
            runs.push_back({std::move(name), status, std::move(result), std::move(text)});
        };
        const std::string root = (dir_ / "root").string();
        run("scan", exit_config,
            {offstage(), "--config", file, "scan", "--root", root, "--admindir", root,
             "--policy-dir", (dir_ / "policy.d").string()});
        run("policy check", exit_config,
            {offstage(), "--config", file, "policy", "check", "--policy-dir",
             (dir_ / "policy.d").string()});
        run("archive", exit_config,
            {offstage(), "--config", file, "archive", "-r", recipient_, "--compression", "none",
             "--level", "3", "--threads", "1", "-o", out, (dir_ / "in" / "file").string()});
        run("encrypt", exit_config,
            {offstage(), "--config", file, "encrypt", "-r", recipient_, "-o",
             (dir_ / "out-encrypted.age").string(), (dir_ / "in" / "file").string()});
        run("offstage-shell --check", exit_shell_config,
            {built_program("offstage-shell").string(), "--check", "--config", file}, true);
        return runs;
    }

    // Each command fails with its config status, and says `message` (FILE:LINE:COL: what).
    void expect_refused_by_all(const std::string& text, const std::string& place,
                               const std::string& what) {
        fs::path config = write_file(dir_ / "offstage.toml", text);
        for (const Run& run : run_all(config)) {
            EXPECT_EQ(run.result.exit_status, run.expected_status)
                << run.command << " on:\n"
                << text << run.result.err << run.result.out;
            EXPECT_NE(run.text.find(config.string() + ":" + place + ": " + what), std::string::npos)
                << run.command << " on:\n"
                << text << run.text;
        }
        EXPECT_FALSE(fs::exists(dir_ / "out.age")) << text;
        EXPECT_FALSE(fs::exists(dir_ / "out-encrypted.age")) << text;
    }

    TempDir dir_;
    fs::path key_ = dir_ / "key.txt";
    std::string recipient_;
};

TEST_F(ConfigCommands, AGoodFileIsAcceptedByEveryCommand) {
    // policy check also checks what a run would meet: the staging root must be there.
    fs::create_directories(dir_ / "staging");
    fs::permissions(dir_ / "staging", fs::perms(0750));
    fs::path config =
        write_file(dir_ / "offstage.toml", "[staging]\nroot = \"" + (dir_ / "staging").string() +
                                               "\"\n[encryption]\nrecipients = [\"" + recipient_ +
                                               "\"]\n[archive]\nlevel = 5\n");
    for (const Run& run : run_all(config)) {
        EXPECT_EQ(run.text.find("offstage.toml:"), std::string::npos) << run.command << run.text;
        if (run.command == "offstage-shell --check") {
            // It goes on to check the deployment (the staging root, sudo), failing here.
            EXPECT_NE(run.text.find("ok    config " + config.string() + " is valid\n"),
                      std::string::npos)
                << run.text;
        } else {
            EXPECT_NE(run.result.exit_status, run.expected_status) << run.command << run.text;
        }
    }
    EXPECT_TRUE(fs::exists(dir_ / "out.age"));
    EXPECT_TRUE(fs::exists(dir_ / "out-encrypted.age"));
}

TEST_F(ConfigCommands, UnknownSectionsAndKeysAreRefusedByEveryCommand) {
    // The escrow key's file under a misspelt key: the artifact would not be encrypted to it.
    expect_refused_by_all("[encryption]\nrecipient_file = \"/etc/offstage/escrow.txt\"\n", "2:1",
                          "[encryption] unknown key 'recipient_file'");
    expect_refused_by_all("[shel]\nrsync = \"/usr/bin/rsync\"\n", "1:2", "unknown section [shel]");
    expect_refused_by_all("[staging]\nroot = \"/srv/offstage\"\n[archiv]\nlevel = 3\n", "3:2",
                          "unknown section [archiv]");
    expect_refused_by_all("[staging]\nroot = \"/srv/offstage\"\nrot = \"/srv\"\n", "3:1",
                          "[staging] unknown key 'rot'");
    expect_refused_by_all("compression = \"none\"\n[archive]\n", "1:1",
                          "key 'compression' outside any section");
}

TEST_F(ConfigCommands, BadValuesAreRefusedAtTheirPlaceEvenWhenOverridden) {
    // archive is given --level, --compression and --threads: the file is checked all the same.
    expect_refused_by_all("[archive]\nlevel = 99\n", "2:9",
                          "[archive] level must be an integer in 1..19, not 99");
    expect_refused_by_all("[archive]\ncompression = \"zst\"\n", "2:15",
                          "[archive] compression must be one of \"zstd\", \"none\", not \"zst\"");
    expect_refused_by_all("[archive]\nthreads = 256\n", "2:11", "[archive] threads must be");
    expect_refused_by_all("[encryption]\nrecipients_file = \"escrow.txt\"\n", "2:19",
                          "[encryption] recipients_file must be an absolute path");
}

TEST_F(ConfigCommands, ADeepHeaderIsAnErrorNotACrash) {
    std::string header = "[a";
    for (int i = 0; i < 300000; ++i) {
        header += ".a";
    }
    expect_refused_by_all(header + "]\n", "1:1", "nested deeper than 16 levels");
}

TEST_F(ConfigCommands, ADirectoryAsConfigIsRefusedByEveryCommand) {
    for (const Run& run : run_all(dir_.path())) {
        EXPECT_EQ(run.result.exit_status, run.expected_status) << run.command << run.text;
        EXPECT_NE(run.text.find(dir_.path().string() + ": not a regular file (a directory)"),
                  std::string::npos)
            << run.command << run.text;
    }
}

TEST_F(ConfigCommands, BadRecipientsAreConfigErrorsWithTheirPlace) {
    // offstage-shell holds no age code: these are the stager's commands' to find.
    auto expect_stager_refuses = [&](const std::string& text, const std::string& message) {
        fs::path config = write_file(dir_ / "offstage.toml", text);
        for (const Run& run : run_all(config)) {
            if (run.command == "offstage-shell --check") {
                continue;
            }
            EXPECT_EQ(run.result.exit_status, exit_config) << run.command << run.text;
            EXPECT_NE(run.text.find(message), std::string::npos) << run.command << run.text;
        }
    };
    const std::string config = (dir_ / "offstage.toml").string();
    expect_stager_refuses("[encryption]\nrecipients = [\"" + recipient_ +
                              "\", \"AGE-SECRET-KEY-1QQQQ\"]\n",
                          config + ":2:" + std::to_string(19 + recipient_.size()) +
                              ": [encryption] recipients holds a secret key");
    expect_stager_refuses(
        "[encryption]\nrecipients_file = \"" + (dir_ / "escrow.txt").string() + "\"\n",
        config + ":2:19: [encryption] recipients_file: " + (dir_ / "escrow.txt").string() +
            ": No such file or directory");
    fs::path escrow = write_file(dir_ / "escrow.txt", "# escrow\n\nage1nope\n");
    expect_stager_refuses("[encryption]\nrecipients_file = \"" + escrow.string() + "\"\n",
                          escrow.string() + ":3: \"age1nope\" is not a valid age recipient");
}

TEST_F(ConfigCommands, ThreadsAreBoundedByTheCpusTheProcessMayUse) {
    // On one CPU the bound is 4: on the command line a usage error, in the file a config error.
    const std::vector<std::string> one_cpu = {"taskset", "-c", "0"};
    const std::string out = (dir_ / "out.age").string();
    const std::string input = (dir_ / "in" / "file").string();
    CommandResult over = run_command({"taskset", "-c", "0", offstage(), "archive", "-r", recipient_,
                                      "--threads", "5", "-o", out, input});
    EXPECT_EQ(over.exit_status, exit_usage) << over.err;
    EXPECT_NE(over.err.find("--threads"), std::string::npos) << over.err;
    EXPECT_FALSE(fs::exists(out));
    CommandResult at = run_command({"taskset", "-c", "0", offstage(), "archive", "-r", recipient_,
                                    "--threads", "4", "-o", out, input});
    EXPECT_EQ(at.exit_status, 0) << at.err;
    fs::remove(out);

    fs::path config = write_file(dir_ / "offstage.toml", "[archive]\nthreads = 5\n");
    for (const Run& run : run_all(config, one_cpu)) {
        EXPECT_EQ(run.result.exit_status, run.expected_status) << run.command << run.text;
        EXPECT_NE(
            run.text.find(config.string() + ":2:11: [archive] threads must be an integer in 0..4"),
            std::string::npos)
            << run.command << run.text;
    }
}

// The recipients of [encryption] are checked by the one key table, which both programs read:
// offstage-shell --check refuses what `offstage scan` refuses, with the same words.
TEST_F(ConfigCommands, BadRecipientsInTheListAreRefusedByTheShellToo) {
    fs::path config = write_file(dir_ / "offstage.toml",
                                 "[encryption]\nrecipients = [\"AGE-SECRET-KEY-1QQQQ\"]\n");
    for (const Run& run : run_all(config)) {
        EXPECT_EQ(run.result.exit_status, run.expected_status) << run.command << run.text;
        EXPECT_NE(run.text.find(config.string() + ":2:15: [encryption] recipients holds a secret "
                                                  "key (AGE-SECRET-KEY-...)"),
                  std::string::npos)
            << run.command << run.text;
        EXPECT_EQ(run.text.find("QQQQ"), std::string::npos) << run.command << run.text;
    }
    config = write_file(dir_ / "offstage.toml", "[encryption]\nrecipients = [\"age1nope\"]\n");
    for (const Run& run : run_all(config)) {
        EXPECT_EQ(run.result.exit_status, run.expected_status) << run.command << run.text;
        EXPECT_NE(run.text.find("\"age1nope\" is not a valid age recipient"), std::string::npos)
            << run.command << run.text;
    }
}

} // namespace
} // namespace offstage::test
