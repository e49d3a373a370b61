// The real offstage-shell binary, driven as sshd drives it (SSH_ORIGINAL_COMMAND, SSH_CONNECTION,
// a config file), against a recording stand-in for rsync (the exact argv, environment, working
// directory and descriptors it receives), a backup script, and the real rsync on both ends.
#include "forced-shell/invocation.hpp"
#include "forced-shell/refusal.hpp"
#include "platform/unique_fd.hpp"
#include "tests/forced-shell/corpus.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <gtest/gtest.h>
#include <regex>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <thread>
#include <unistd.h>

namespace offstage::forced_shell {
namespace {

namespace fs = std::filesystem;
using offstage::test::CommandOptions;
using offstage::test::CommandResult;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string::npos) {
            end = text.size();
        }
        lines.push_back(text.substr(position, end - position));
        position = end + 1;
    }
    return lines;
}

class OffstageShellTest : public ::testing::Test {
protected:
    void SetUp() override {
        base = fs::canonical(dir.path());
        root = base / "staging";
        write_file(root / "2026-11-22/files.tar.zst.age", "encrypted files");
        write_file(root / "2026-11-22/SHA256SUMS", "sums\n");
        write_file(root / "2026-11-22/report.json", "{}\n");
        write_file(root / "2026-11-22/my dir/a file with spaces", "spaced\n");
        write_file(root / "2026-11-22/db/caf\xe9-latin1.sql.zst.age", "not utf-8 name\n");
        write_file(root / ".incoming-2026-11-23-abcd/files.tar.zst.age", "half a day");
        write_file(base / "outside/secret", "outside secret\n");
        fs::create_directory_symlink("../outside", root / "escape");

        record = base / "record";
        fs::create_directories(record);
        // The rsync stand-in records what it was given. /proc/$$/environ is the environment
        // execve() passed, before the shell adds anything of its own.
        write_file(
            base / "fake-rsync",
            "#!/bin/sh\n"
            "R='" +
                record.string() +
                "'\n"
                "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > \"$R/argv\"\n"
                "tr '\\0' '\\n' < /proc/$$/environ > \"$R/environ\"\n"
                "pwd -P > \"$R/cwd\"\n"
                "for a in \"$@\"; do case $a in /proc/self/fd/*) "
                "readlink -f \"$a\" || echo \"UNRESOLVED $a\";; esac; done > \"$R/resolved\"\n"
                "exit $(cat \"$R/status\" 2>/dev/null || echo 0)\n",
            fs::perms(0755));
        // A recording probe as the backup command: these unit tests check what the shell hands
        // its child (environment, stdin, output, status). The real `offstage run` behind
        // `backup` is tried end to end in tests/e2e/test_e2e_backup.cpp.
        write_file(base / "backup.sh",
                   "#!/bin/sh\n"
                   "tr '\\0' '\\n' < /proc/$$/environ > '" +
                       record.string() +
                       "/backup-environ'\n"
                       "readlink /proc/$$/fd/0 > '" +
                       record.string() +
                       "/backup-stdin'\n"
                       "echo 'staging today'\n"
                       "echo 'a warning' >&2\n"
                       "sleep \"$(cat '" +
                       record.string() +
                       "/backup-sleep' 2>/dev/null || echo 0)\"\n"
                       "exit 3\n",
                   fs::perms(0755));
        write_config();
    }

    void write_config(const std::string& extra_shell = "", const std::string& rsync = "") {
        config = base / "offstage.toml";
        write_file(config, "[staging]\nroot = \"" + root.string() + "\"\n[shell]\nrsync = \"" +
                               (rsync.empty() ? (base / "fake-rsync").string() : rsync) +
                               "\"\nbackup_command = [\"" + (base / "backup.sh").string() +
                               "\"]\nlog_file = \"" + (base / "shell.log").string() +
                               "\"\nsyslog = false\nbackup_lock = \"" +
                               (base / "backup.lock").string() + "\"\n" + extra_shell);
    }

    CommandResult shell(const std::string& command,
                        std::map<std::string, std::string> extra_environment = {}) {
        CommandOptions options;
        options.environment =
            std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                               {"SSH_ORIGINAL_COMMAND", command},
                                               {"SSH_CONNECTION", "10.1.2.3 50000 10.9.9.9 22"}};
        for (auto& [key, value] : extra_environment) {
            (*options.environment)[key] = value;
        }
        options.timeout = std::chrono::seconds(30);
        return run_command(
            {offstage::test::built_program("offstage-shell").string(), "--config", config.string()},
            options);
    }

    void expect_refused(const CommandResult& result, const std::string& why_part, int status = 77) {
        EXPECT_EQ(result.exit_status, status) << result.err;
        EXPECT_EQ(result.out, "");
        std::vector<std::string> lines = lines_of(result.err);
        ASSERT_EQ(lines.size(), 1u) << result.err;
        EXPECT_EQ(lines[0].rfind("offstage-shell: refused: ", 0), 0u) << lines[0];
        EXPECT_NE(lines[0].find(why_part), std::string::npos) << lines[0];
        EXPECT_FALSE(fs::exists(record / "argv")) << "rsync ran for a refused command";
    }

    std::string log() {
        return fs::exists(base / "shell.log") ? read_file(base / "shell.log") : "";
    }

    TempDir dir{"offstage-shell-test"};
    fs::path base, root, record, config;
};

TEST_F(OffstageShellTest, EveryCorpusCommandReachesRsyncCheckedAndConfined) {
    for (const auto& c : test::load_corpus()) {
        fs::remove_all(record);
        fs::create_directories(record);
        CommandResult result = shell(c.command);
        ASSERT_EQ(result.exit_status, 0) << c.name << ": " << c.command << "\n" << result.err;
        std::vector<std::string> argv = lines_of(read_file(record / "argv"));
        ASSERT_GE(argv.size(), 7u) << c.name;
        EXPECT_EQ(argv[0], "--server");
        EXPECT_EQ(argv[1], "--sender");
        auto dash_dash = std::find(argv.begin(), argv.end(), "--");
        ASSERT_NE(dash_dash, argv.end()) << c.name;
        ASSERT_NE(dash_dash + 1, argv.end());
        EXPECT_EQ(*(dash_dash + 1), ".");
        EXPECT_NE(std::find(argv.begin(), dash_dash, "--confine-root=" + root.string()), dash_dash)
            << c.name;
        for (const std::string& resolved : lines_of(read_file(record / "resolved"))) {
            EXPECT_TRUE(resolved == root.string() || resolved.rfind(root.string() + "/", 0) == 0)
                << c.name << ": " << resolved;
        }
        EXPECT_EQ(read_file(record / "cwd"), root.string() + "\n");
    }
}

// The client's backup dir is its own path: rsync gets it as one --backup-dir=VALUE word, so
// even a value spelled like an option is only a value, and the shell's own --confine-root
// stays the only one.
TEST_F(OffstageShellTest, BackupDirReachesRsyncAsOneWord) {
    CommandResult result = shell("rsync --server --sender -blogDtpre.iLsfxCIvu --backup-dir "
                                 "--confine-root=/ --suffix=.old . 2026-11-22/");
    ASSERT_EQ(result.exit_status, 0) << result.err;
    std::vector<std::string> argv = lines_of(read_file(record / "argv"));
    ASSERT_GE(argv.size(), 6u);
    EXPECT_EQ(std::vector<std::string>(argv.begin(), argv.begin() + 6),
              (std::vector<std::string>{"--server", "--sender", "-blogDtpre.iLsfxCIvu",
                                        "--backup-dir=--confine-root=/", "--suffix=.old",
                                        "--confine-root=" + root.string()}));
    EXPECT_EQ(std::count_if(
                  argv.begin(), argv.end(),
                  [](const std::string& word) { return word.rfind("--confine-root=", 0) == 0; }),
              1);
}

TEST_F(OffstageShellTest, RsyncGetsAFreshMinimalEnvironment) {
    CommandResult result = shell("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/",
                                 {{"LD_LIBRARY_PATH", "/tmp/evil"},
                                  {"BASH_ENV", "/tmp/evil.sh"},
                                  {"POPT_OPTIONS", "x"},
                                  {"RSYNC_RSH", "sh"},
                                  {"HOME", base.string()},
                                  {"ENV", "/tmp/evil.sh"},
                                  {"IFS", "x"}});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_EQ(read_file(record / "environ"), "PATH=/usr/bin:/bin\nHOME=/nonexistent\n");
}

TEST_F(OffstageShellTest, RsyncExitStatusPassesThroughAndIsLogged) {
    write_file(record / "status", "23\n");
    CommandResult result = shell("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/");
    EXPECT_EQ(result.exit_status, 23);
    EXPECT_EQ(result.out, "");
    std::vector<std::string> lines = lines_of(log());
    ASSERT_EQ(lines.size(), 2u) << log();
    EXPECT_NE(lines[0].find("]: allowed client=10.1.2.3 "), std::string::npos) << lines[0];
    EXPECT_NE(lines[1].find("]: finished client=10.1.2.3 status=23 "), std::string::npos)
        << lines[1];
}

TEST_F(OffstageShellTest, RefusalIsOneLineStatus77AndALogLine) {
    expect_refused(shell("cat /etc/passwd"), "unknown command");
    std::vector<std::string> lines = lines_of(log());
    ASSERT_EQ(lines.size(), 1u);
    std::regex format(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ offstage-shell\[\d+\]: refused )"
                      R"(client=10\.1\.2\.3 status=77 reason="unknown command [^"]*" )"
                      R"(command="cat /etc/passwd"$)");
    EXPECT_TRUE(std::regex_match(lines[0], format)) << lines[0];
}

TEST_F(OffstageShellTest, AttacksThroughTheBinaryAreRefused) {
    expect_refused(shell("rsync --server . /tmp"), "upload");
    expect_refused(shell("rsync --server --sender -logDtpre.iLsfxCIvu . /tmp"), "does not exist");
    expect_refused(shell("backup; id"), "metacharacter");
    expect_refused(shell("rsync --server --sender -logDtpre.iLsfxCIvu --rsh=sh . x"), "--rsh");
    expect_refused(shell("rsync --server --sender -slogDtpre.iLsfxCIvu"), "pull without -s");
    expect_refused(shell("rsync --server --sender -logDtpre.iLsfxCIvu . escape/secret"),
                   "leaves the staging root");
    expect_refused(shell("rsync --server --sender -logDtpre.iLsfxCIvu . ../outside/secret"), "..");
    expect_refused(
        shell("rsync --server --sender -logDtpre.iLsfxCIvu . .incoming-2026-11-23-abcd/"),
        ".incoming");
    expect_refused(
        shell("rsync --server --sender -logDtpre.iLsfxCIvu . " + root.string() + "-evil/"),
        "does not exist");
}

TEST_F(OffstageShellTest, LogEscapesAndCapsTheCommand) {
    std::string long_command = "rsync --server --sender -l . " + std::string(3000, 'a');
    expect_refused(shell(long_command), "too long");
    expect_refused(shell("backup\x1b[2J"), "control character 0x1b");
    expect_refused(shell("\"quoted\" \\"), "metacharacter");
    std::string text = log();
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        EXPECT_TRUE(c == '\n' || (byte >= 0x20 && byte < 0x7f)) << int(byte);
    }
    std::vector<std::string> lines = lines_of(text);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_LT(lines[0].size(), 1000u);
    EXPECT_NE(lines[0].find("aaa...\""), std::string::npos);
    EXPECT_NE(lines[1].find("command=\"backup\\x1b[2J\""), std::string::npos) << lines[1];
    EXPECT_NE(lines[2].find("command=\"\\x22quoted\\x22 \\x5c\""), std::string::npos) << lines[2];
}

// What reaches syslog. The shell runs in a mount namespace of its own whose /dev holds a
// datagram socket this test reads as /dev/log: the machine's syslog (which need not exist) is
// left alone.
TEST_F(OffstageShellTest, DecisionsReachSyslogUnderTheAuthFacility) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "a private /dev for the shell needs root (unshare --mount)";
    }
    std::string text = read_file(config);
    text.replace(text.find("syslog = false"), 14, "syslog = true");
    write_file(config, text);
    const fs::path dev = base / "dev";
    write_file(dev / "null", "");
    platform::UniqueFd receiver(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ASSERT_TRUE(receiver);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    const std::string socket_path = (dev / "log").string();
    ASSERT_LT(socket_path.size(), sizeof address.sun_path);
    std::memcpy(address.sun_path, socket_path.c_str(), socket_path.size() + 1);
    ASSERT_EQ(::bind(receiver.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0)
        << std::strerror(errno);
    timeval five_seconds{5, 0};
    ::setsockopt(receiver.get(), SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof five_seconds);

    CommandOptions options;
    options.environment =
        std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin:/usr/sbin:/sbin"},
                                           {"SSH_ORIGINAL_COMMAND", "cat /etc/passwd"},
                                           {"SSH_CONNECTION", "10.1.2.3 50000 10.9.9.9 22"}};
    options.timeout = std::chrono::seconds(30);
    CommandResult result = run_command(
        {"unshare", "--mount", "--propagation", "private", "sh", "-c",
         "mount --bind /dev/null \"$0/null\" && mount --rbind \"$0\" /dev && exec \"$@\"",
         dev.string(), offstage::test::built_program("offstage-shell").string(), "--config",
         config.string()},
        options);
    EXPECT_EQ(result.exit_status, 77) << result.err;

    char message[2048];
    ssize_t size = ::recv(receiver.get(), message, sizeof message, 0);
    ASSERT_GT(size, 0) << "nothing reached /dev/log: " << std::strerror(errno);
    std::string line(message, static_cast<std::size_t>(size));
    const std::string auth_notice = "<" + std::to_string(LOG_AUTH | LOG_NOTICE) + ">";
    EXPECT_EQ(line.rfind(auth_notice, 0), 0u) << line;
    EXPECT_NE(line.find(" offstage-shell["), std::string::npos) << line;
    EXPECT_NE(line.find("refused client=10.1.2.3 status=77 reason=\"unknown command"),
              std::string::npos)
        << line;
    EXPECT_NE(line.find("command=\"cat /etc/passwd\""), std::string::npos) << line;
}

// The backup reads nothing from the provider: its stdin is /dev/null. When /dev/null cannot be
// opened (or is not the null device) the shell must not start the backup with the SSH
// channel as its stdin. The shell runs in a mount namespace of its own whose /dev has no
// usable null; the machine's /dev is left alone.
TEST_F(OffstageShellTest, NoDevNullMeansNoBackup) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "a private /dev for the shell needs root (unshare --mount)";
    }
    for (const std::string kind : {"dangling-symlink", "regular-file"}) {
        SCOPED_TRACE(kind);
        const fs::path dev = base / ("dev-" + kind);
        fs::create_directories(dev);
        if (kind == "dangling-symlink") {
            fs::create_symlink("/nonexistent/null", dev / "null");
        } else {
            write_file(dev / "null", "not the null device\n");
        }
        CommandOptions options;
        options.environment =
            std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin:/usr/sbin:/sbin"},
                                               {"SSH_ORIGINAL_COMMAND", "backup"},
                                               {"SSH_CONNECTION", "10.1.2.3 50000 10.9.9.9 22"}};
        options.stdin_data = "what the provider typed\n";
        options.timeout = std::chrono::seconds(30);
        CommandResult result = run_command(
            {"unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mount --rbind \"$0\" /dev && exec \"$@\"", dev.string(),
             offstage::test::built_program("offstage-shell").string(), "--config", config.string()},
            options);
        EXPECT_EQ(result.exit_status, 71) << result.err;
        EXPECT_EQ(result.out, "");
        std::vector<std::string> lines = lines_of(result.err);
        ASSERT_EQ(lines.size(), 1u) << result.err;
        EXPECT_NE(lines[0].find("/dev/null"), std::string::npos) << lines[0];
        EXPECT_NE(lines[0].find("backup"), std::string::npos) << lines[0];
        EXPECT_FALSE(fs::exists(record / "backup-environ")) << "the backup ran";
        EXPECT_NE(log().find("]: error client=10.1.2.3 status=71 reason=\"open /dev/null as the "
                             "standard input of "),
                  std::string::npos)
            << log();
        fs::remove(base / "shell.log");
    }
}

TEST_F(OffstageShellTest, ALogFailureNeitherBlocksNorPassesSilently) {
    write_config("");
    std::string text = read_file(config);
    text.replace(text.find(base.string() + "/shell.log"), (base.string() + "/shell.log").size(),
                 base.string() + "/no-such-dir/shell.log");
    write_file(config, text);
    CommandResult result = shell("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/");
    EXPECT_EQ(result.exit_status, 0);
    EXPECT_TRUE(fs::exists(record / "argv"));
    EXPECT_NE(result.err.find("cannot write log " + base.string() + "/no-such-dir/shell.log"),
              std::string::npos)
        << result.err;
}

TEST_F(OffstageShellTest, ConfigErrorsRefuseWithStatus78) {
    config = base / "missing.toml";
    CommandResult missing = shell("backup");
    expect_refused(missing, "missing.toml", 78);

    config = base / "bad.toml";
    write_file(config, "[shell]\nrsync = \"/usr/bin/rsync\"\nrsyncc = \"/tmp/x\"\n");
    expect_refused(shell("backup"), "rsyncc", 78);
    write_file(config, "[shell]\nsyslog = \"yes\"\n");
    expect_refused(shell("backup"), "syslog", 78);
    write_file(config, "[shell]\nrsync = \"rsync\"\n");
    expect_refused(shell("backup"), "absolute", 78);
    write_file(config, "[shell]\nbackup_command = []\n");
    expect_refused(shell("backup"), "backup_command", 78);
    write_file(config, "[shell\nrsync = 1\n");
    expect_refused(shell("backup"), "bad.toml:1", 78);
    // The whole file is checked, not only what the shell reads: a typo anywhere refuses.
    write_file(config, "[shell]\nrsync = \"/usr/bin/rsync\"\n[archiv]\nlevel = 3\n");
    expect_refused(shell("backup"), "bad.toml:3:2: unknown section [archiv]", 78);
    write_file(config, "[encryption]\nrecipient_file = \"/etc/offstage/escrow.txt\"\n");
    expect_refused(shell("backup"), "bad.toml:2:1: [encryption] unknown key 'recipient_file'", 78);
    config = base;
    expect_refused(shell("backup"), base.string() + ": not a regular file (a directory)", 78);
    EXPECT_FALSE(fs::exists(record / "backup-environ"));
}

TEST_F(OffstageShellTest, CannotExecIsStatus71) {
    write_config("", (base / "no-such-rsync").string());
    CommandResult result = shell("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/");
    EXPECT_EQ(result.exit_status, 71);
    EXPECT_NE(result.err.find("no-such-rsync"), std::string::npos) << result.err;
    EXPECT_NE(log().find("]: error client=10.1.2.3 status=71"), std::string::npos) << log();
}

TEST_F(OffstageShellTest, MissingStagingRootIsStatus71) {
    fs::remove_all(root);
    CommandResult result = shell("rsync --server --sender -logDtpre.iLsfxCIvu . 2026-11-22/");
    EXPECT_EQ(result.exit_status, 71);
    EXPECT_NE(result.err.find(root.string()), std::string::npos) << result.err;
}

TEST_F(OffstageShellTest, BackupRunsTheCommandAndPassesOutputAndStatus) {
    CommandResult result = shell("backup", {{"LD_LIBRARY_PATH", "/tmp/evil"}});
    EXPECT_EQ(result.exit_status, 3);
    EXPECT_EQ(result.out, "staging today\n");
    EXPECT_EQ(result.err, "a warning\n");
    EXPECT_EQ(read_file(record / "backup-environ"),
              "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nHOME=/nonexistent\n");
    EXPECT_EQ(read_file(record / "backup-stdin"), "/dev/null\n");
    std::vector<std::string> lines = lines_of(log());
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[1].find("finished client=10.1.2.3 status=3 "), std::string::npos);
}

TEST_F(OffstageShellTest, SecondBackupIsBusyWith75) {
    int fd = ::open((base / "backup.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    CommandResult result = shell("backup");
    ::close(fd);
    expect_refused(result, "another backup is running", 75);
    EXPECT_FALSE(fs::exists(record / "backup-environ"));
}

TEST_F(OffstageShellTest, TwoRealBackupsAtOnce) {
    write_file(record / "backup-sleep", "2\n");
    CommandResult first;
    std::thread runner([&] { first = shell("backup"); });
    // Wait until the first backup runs (its script wrote its environment).
    for (int i = 0; i < 100 && !fs::exists(record / "backup-environ"); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    CommandResult second = shell("backup");
    runner.join();
    EXPECT_EQ(first.exit_status, 3);
    EXPECT_EQ(second.exit_status, 75) << second.err;
    EXPECT_EQ(lines_of(second.err).size(), 1u);
}

TEST_F(OffstageShellTest, BackupWaitWaitsForTheRunningOne) {
    write_config("backup_wait = true\n");
    int fd = ::open((base / "backup.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::flock(fd, LOCK_EX), 0);
    std::thread releaser([fd] {
        std::this_thread::sleep_for(std::chrono::milliseconds(700));
        ::close(fd);
    });
    auto start = std::chrono::steady_clock::now();
    CommandResult result = shell("backup");
    releaser.join();
    EXPECT_EQ(result.exit_status, 3) << result.err;
    EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(600));
}

TEST_F(OffstageShellTest, NoCommandIsAnInteractiveLoginAndRefused) {
    CommandOptions options;
    options.environment = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"}};
    CommandResult result =
        run_command({offstage::test::built_program("offstage-shell").string()}, options);
    EXPECT_EQ(result.exit_status, 77);
    EXPECT_NE(result.err.find("interactive login refused"), std::string::npos);
    EXPECT_EQ(result.out, "");
}

TEST_F(OffstageShellTest, EmptyCommandIsRefused) {
    expect_refused(shell(""), "empty command");
}

TEST_F(OffstageShellTest, LoginShellModeTakesExactlyDashCCommand) {
    CommandOptions options;
    options.environment = std::map<std::string, std::string>{{"PATH", "/usr/bin:/bin"},
                                                             {"SSH_ORIGINAL_COMMAND", "backup"}};
    std::string program = offstage::test::built_program("offstage-shell").string();
    CommandResult extra = run_command({program, "-c", "backup", "extra"}, options);
    EXPECT_EQ(extra.exit_status, 77);
    CommandResult missing = run_command({program, "-c"}, options);
    EXPECT_EQ(missing.exit_status, 77);
    // With exactly three words it reads the default config (absent here unless installed).
    if (!fs::exists("/etc/offstage/offstage.toml")) {
        CommandResult result = run_command({program, "-c", "backup"}, options);
        EXPECT_EQ(result.exit_status, 78);
        EXPECT_NE(result.err.find("/etc/offstage/offstage.toml"), std::string::npos);
    }
}

TEST_F(OffstageShellTest, UnknownArgumentIsAUsageError) {
    CommandResult result =
        run_command({offstage::test::built_program("offstage-shell").string(), "--bogus"});
    EXPECT_EQ(result.exit_status, 64);
}

TEST(Invocation, ModesFromArgvAndEnvironment) {
    const char* forced[] = {"offstage-shell", "--config", "/x.toml"};
    Invocation invocation = Invocation::parse(forced, "backup");
    EXPECT_EQ(invocation.mode, Invocation::Mode::forced_command);
    EXPECT_EQ(invocation.config, "/x.toml");
    EXPECT_EQ(invocation.command, "backup");

    const char* login[] = {"offstage-shell", "-c", "backup"};
    invocation = Invocation::parse(login, "rsync --server --sender -l . x");
    EXPECT_EQ(invocation.mode, Invocation::Mode::login_shell);
    EXPECT_EQ(invocation.command, "backup") << "SSH_ORIGINAL_COMMAND must be ignored";
    EXPECT_EQ(invocation.config, "/etc/offstage/offstage.toml");

    const char* interactive[] = {"-offstage-shell"};
    EXPECT_THROW(Invocation::parse(interactive, "backup"), Refusal);
    const char* interactive_c[] = {"-offstage-shell", "-c", "backup"};
    EXPECT_THROW(Invocation::parse(interactive_c, "backup"), Refusal);
    const char* bare[] = {"offstage-shell"};
    EXPECT_THROW(Invocation::parse(bare, nullptr), Refusal);
    EXPECT_EQ(Invocation::parse(bare, "backup").command, "backup");
    const char* four[] = {"offstage-shell", "-c", "backup", "x"};
    EXPECT_THROW(Invocation::parse(four, nullptr), Refusal);

    const char* check[] = {"offstage-shell", "--check", "--config=/c.toml", "--authorized-keys",
                           "/k"};
    invocation = Invocation::parse(check, nullptr);
    EXPECT_EQ(invocation.mode, Invocation::Mode::check);
    EXPECT_EQ(invocation.config, "/c.toml");
    EXPECT_EQ(invocation.authorized_keys, fs::path("/k"));
    const char* keys_without_check[] = {"offstage-shell", "--authorized-keys", "/k"};
    EXPECT_THROW(Invocation::parse(keys_without_check, "backup"), UsageError);
}

TEST_F(OffstageShellTest, CheckReportsTheDeployment) {
    write_config("", "/usr/bin/rsync");
    fs::path keys = base / "authorized_keys";
    write_file(keys, "# the provider\n"
                     "restrict,command=\"/usr/sbin/offstage-shell --config " +
                         config.string() +
                         "\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample provider\n");
    std::string program = offstage::test::built_program("offstage-shell").string();
    // As the pull user would have it: the root readable, not writable (root can write
    // anyway; --check then warns instead).
    fs::permissions(root, fs::perms(0555));
    CommandResult good = run_command(
        {program, "--check", "--config", config.string(), "--authorized-keys", keys.string()});
    fs::permissions(root, fs::perms(0755));
    EXPECT_EQ(good.exit_status, 0) << good.out;
    EXPECT_NE(good.out.find("ok    config"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("rsync  version 3.5.0"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find("supports --confine-root"), std::string::npos) << good.out;
    EXPECT_NE(good.out.find(":2: restrict,command="), std::string::npos) << good.out;

    write_file(keys, "command=\"/usr/sbin/offstage-shell\" ssh-ed25519 AAAAC3Nza provider\n"
                     "ssh-ed25519 AAAAC3NzaOther admin\n");
    CommandResult bad = run_command(
        {program, "--check", "--config", config.string(), "--authorized-keys", keys.string()});
    EXPECT_EQ(bad.exit_status, 78);
    EXPECT_NE(bad.out.find(":1: offstage-shell key without 'restrict'"), std::string::npos)
        << bad.out;
    EXPECT_NE(bad.out.find(":2: key without command="), std::string::npos) << bad.out;

    CommandResult no_config =
        run_command({program, "--check", "--config", (base / "nope.toml").string()});
    EXPECT_EQ(no_config.exit_status, 78);
    EXPECT_NE(no_config.out.find("FAIL  config"), std::string::npos);
}

// The real rsync client pulling through offstage-shell and the real rsync server: the fake
// remote shell stands in for ssh + sshd (it joins the words as ssh does and sets
// SSH_ORIGINAL_COMMAND as sshd does). The sshd end-to-end tests live in tests/e2e/.
class RealRsyncTest : public OffstageShellTest {
protected:
    void SetUp() override {
        OffstageShellTest::SetUp();
        write_config("", "/usr/bin/rsync");
        write_file(base / "rsh",
                   "#!/bin/bash\n"
                   "[ \"$1\" = -l ] && shift 2\n"
                   "shift\n"
                   "IFS=' '\n"
                   "SSH_ORIGINAL_COMMAND=\"$*\" SSH_CONNECTION='127.0.0.1 1 127.0.0.1 22' exec '" +
                       offstage::test::built_program("offstage-shell").string() + "' --config '" +
                       config.string() + "'\n",
                   fs::perms(0755));
    }

    CommandResult rsync(std::vector<std::string> arguments) {
        std::vector<std::string> argv{"rsync", "-e", (base / "rsh").string()};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        CommandOptions options;
        options.working_directory = base;
        options.timeout = std::chrono::seconds(60);
        return run_command(argv, options);
    }

    // Every regular file below `top`, relative path -> content.
    static std::map<std::string, std::string> tree(const fs::path& top) {
        std::map<std::string, std::string> files;
        for (const auto& entry : fs::recursive_directory_iterator(top)) {
            if (entry.is_regular_file()) {
                files[fs::relative(entry.path(), top).string()] = read_file(entry.path());
            }
        }
        return files;
    }
};

TEST_F(RealRsyncTest, PullOfADayIsByteIdentical) {
    CommandResult result = rsync({"-a", "host:2026-11-22/", (base / "pulled").string()});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_EQ(tree(base / "pulled"), tree(root / "2026-11-22"));
    EXPECT_TRUE(fs::exists(base / "pulled/my dir/a file with spaces"));
    EXPECT_TRUE(fs::exists(base / "pulled/db/caf\xe9-latin1.sql.zst.age"));
}

TEST_F(RealRsyncTest, AbsoluteAndRelativeSpellingsPullTheSame) {
    ASSERT_EQ(rsync({"-a", "host:/2026-11-22/", (base / "a").string()}).exit_status, 0);
    ASSERT_EQ(rsync({"-az", "host:2026-11-22", (base / "b").string()}).exit_status, 0);
    EXPECT_EQ(tree(base / "a"), tree(base / "b/2026-11-22"));
}

TEST_F(RealRsyncTest, RelativeFilesFromAndSingleArtifactsWork) {
    ASSERT_EQ(rsync({"-aR", "host:2026-11-22/./my dir/", (base / "r").string()}).exit_status, 0);
    EXPECT_EQ(read_file(base / "r/my dir/a file with spaces"), "spaced\n");
    write_file(base / "list", "SHA256SUMS\nmy dir/a file with spaces\n");
    CommandResult listed = rsync({"-a", "--files-from=" + (base / "list").string(),
                                  "host:2026-11-22/", (base / "f").string()});
    ASSERT_EQ(listed.exit_status, 0) << listed.err;
    EXPECT_EQ(tree(base / "f").size(), 2u);
    ASSERT_EQ(rsync({"-a", "host:2026-11-22/SHA256SUMS", "host:2026-11-22/report.json",
                     (base / "s/").string()})
                  .exit_status,
              0);
    EXPECT_EQ(tree(base / "s").size(), 2u);
}

TEST_F(RealRsyncTest, WholeRootPullAndListingNeverShowAWorkDir) {
    CommandResult listing = rsync({"--list-only", "host:"});
    ASSERT_EQ(listing.exit_status, 0) << listing.err;
    EXPECT_NE(listing.out.find("2026-11-22"), std::string::npos);
    EXPECT_EQ(listing.out.find(".incoming"), std::string::npos) << listing.out;
    CommandResult all = rsync({"-a", "--include=.incoming*", "host:/", (base / "all").string()});
    ASSERT_EQ(all.exit_status, 0) << all.err;
    EXPECT_TRUE(fs::exists(base / "all/2026-11-22/SHA256SUMS"));
    EXPECT_FALSE(fs::exists(base / "all/.incoming-2026-11-23-abcd"));
}

TEST_F(RealRsyncTest, FilesFromNamesCannotLeaveTheDay) {
    write_file(base / "list", "../outside/secret\n../../outside/secret\n"
                              "../.incoming-2026-11-23-abcd/files.tar.zst.age\nSHA256SUMS\n");
    rsync({"-a", "--files-from=" + (base / "list").string(), "host:2026-11-22/",
           (base / "f").string() + "/"});
    EXPECT_EQ(tree(base / "f"), (std::map<std::string, std::string>{{"SHA256SUMS", "sums\n"}}));
}

TEST_F(RealRsyncTest, SymlinkOutOfTheTreeIsSentAsALinkNotFollowed) {
    CommandResult result = rsync({"-a", "host:/", (base / "all").string()});
    ASSERT_EQ(result.exit_status, 0) << result.err;
    EXPECT_TRUE(fs::is_symlink(base / "all/escape"));
    EXPECT_EQ(tree(base / "all").count("escape/secret"), 0u);
    EXPECT_NE(rsync({"-aL", "host:/", (base / "followed").string()}).exit_status, 0);
    EXPECT_FALSE(fs::exists(base / "followed/escape/secret"));
}

// A provider that keeps its old copies: rsync -b with --backup-dir or --suffix. The client,
// as receiver, makes the backups; the server, as sender, never touches the backup dir.
TEST_F(RealRsyncTest, PullsThatKeepOldCopiesWork) {
    const auto before = tree(root);
    const fs::path pulled = base / "pulled";
    ASSERT_EQ(rsync({"-a", "host:2026-11-22/", pulled.string()}).exit_status, 0);

    write_file(pulled / "SHA256SUMS", "edited once\n");
    CommandResult kept_in_dir =
        rsync({"-a", "--backup", "--backup-dir=old", "host:2026-11-22/", pulled.string()});
    ASSERT_EQ(kept_in_dir.exit_status, 0) << kept_in_dir.err;
    EXPECT_EQ(read_file(pulled / "SHA256SUMS"), "sums\n");
    EXPECT_EQ(read_file(pulled / "old/SHA256SUMS"), "edited once\n");

    write_file(pulled / "SHA256SUMS", "edited twice\n");
    CommandResult suffix =
        rsync({"-a", "-b", "--suffix=.old", "host:2026-11-22/", pulled.string()});
    ASSERT_EQ(suffix.exit_status, 0) << suffix.err;
    EXPECT_EQ(read_file(pulled / "SHA256SUMS"), "sums\n");
    EXPECT_EQ(read_file(pulled / "SHA256SUMS.old"), "edited twice\n");

    // A fresh destination needs no backup, so the client creates no backup dir; nor does the
    // server, even for a name that would resolve on its side.
    for (const fs::path& planted : {base / "planted", root / "planted"}) {
        CommandResult fresh = rsync({"-a", "--backup-dir=" + planted.string(), "--suffix=.x",
                                     "host:2026-11-22/", (base / "fresh").string()});
        EXPECT_EQ(fresh.exit_status, 0) << fresh.err;
        EXPECT_FALSE(fs::exists(planted)) << planted;
    }
    EXPECT_FALSE(fs::exists(root / "old"));
    EXPECT_EQ(tree(root), before);
}

TEST_F(RealRsyncTest, UploadIsRefusedAndWritesNothing) {
    write_file(base / "upload.txt", "intruder\n");
    auto before = tree(root);
    CommandResult result = rsync({(base / "upload.txt").string(), "host:"});
    EXPECT_NE(result.exit_status, 0);
    EXPECT_NE(result.err.find("upload refused"), std::string::npos) << result.err;
    EXPECT_EQ(tree(root), before);
}

TEST_F(RealRsyncTest, SecludedArgsPullIsRefusedWithAHint) {
    CommandResult result = rsync({"-s", "-a", "host:2026-11-22/", (base / "s").string()});
    EXPECT_NE(result.exit_status, 0);
    EXPECT_NE(result.err.find("pull without -s"), std::string::npos) << result.err;
    EXPECT_FALSE(fs::exists(base / "s/SHA256SUMS"));
}

TEST_F(RealRsyncTest, FilterMergeFileAboveTheRootIsNotRead) {
    // A dir-merge rule travels inside the protocol; with an absolute name in a parent of the
    // transfer dir, an unconfined rsync server reads that file as exclude patterns, and the
    // client learns its lines from which of its names went missing.
    write_file(base / "leak", "SHA256SUMS\n");
    const std::string rule = "--filter=dir-merge,- " + (base / "leak").string();

    // Control: a plain rsync server in the root (what a forced command without confinement
    // would run) does read it, so the attack is real.
    write_file(base / "plain-rsh",
               "#!/bin/bash\nshift\ncd '" + root.string() + "' && eval \"exec $*\"\n",
               fs::perms(0755));
    CommandOptions options;
    options.working_directory = base;
    CommandResult plain = run_command({"rsync", "-e", (base / "plain-rsh").string(), "-a", rule,
                                       "host:2026-11-22/", (base / "plain").string()},
                                      options);
    ASSERT_EQ(plain.exit_status, 0) << plain.err;
    ASSERT_FALSE(fs::exists(base / "plain/SHA256SUMS")) << "control: the file was not read";

    CommandResult confined = rsync({"-a", rule, "host:2026-11-22/", (base / "confined").string()});
    EXPECT_EQ(confined.exit_status, 0) << confined.err;
    EXPECT_TRUE(fs::exists(base / "confined/SHA256SUMS"))
        << "the server read a filter file outside the staging root";
}

} // namespace
} // namespace offstage::forced_shell
