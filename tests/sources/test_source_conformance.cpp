// The promises of stager/sources/source.hpp, proven for every source by one suite (in the
// manner of restic's backend test suite): add a source, add a SourceCase.
#include "stager/age/identity.hpp"
#include "stager/drill/postgresql_server.hpp"
#include "stager/selection/backup_selection.hpp"
#include "stager/selection/scan_settings.hpp"
#include "stager/sources/afs/afs_source.hpp"
#include "stager/sources/databases/mariadb_source.hpp"
#include "stager/sources/databases/postgresql_source.hpp"
#include "stager/sources/databases/sqlite_source.hpp"
#include "stager/sources/files_source.hpp"
#include "stager/sources/spool_source.hpp"
#include "stager/sources/system_source.hpp"
#include "stager/staging/artifact_name.hpp"
#include "tests/databases/mariadb_fixture.hpp"
#include "tests/selection/tiny_debian_root.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <csignal>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdexcept>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

// The scan of the tiny root, computed once for the program.
struct TinyScan {
    policies::PolicySet policies;
    selection::BackupSelection selection;
    static const TinyScan& shared() {
        static const TinyScan scan = [] {
            const TinyDebianRoot& root = TinyDebianRoot::shared();
            selection::ScanSettings settings;
            settings.root = root.root();
            settings.admindir = root.admindir();
            settings.policy_dir = root.policy_dir();
            // Moved, the policy set keeps its rules where the selection's members point.
            policies::PolicySet loaded = settings.load_policies();
            selection::BackupSelection computed =
                selection::BackupSelection::compute(settings.selection_input(), loaded);
            return TinyScan{std::move(loaded), std::move(computed)};
        }();
        return scan;
    }
};

// A staging tree, keys and an ArtifactWriter for one test.
struct Stage {
    TempDir dir{"offstage-sources"};
    age::X25519Identity identity = age::X25519Identity::generate();
    std::unique_ptr<staging::StagingTree> tree;
    std::unique_ptr<staging::WorkDir> work;
    Stage() {
        fs::create_directories(dir / "srv/offstage");
        tree = std::make_unique<staging::StagingTree>(dir / "srv/offstage", dir / "work");
        work = std::make_unique<staging::WorkDir>(tree->begin("2026-11-22"));
        write_file(dir / "identity.txt", identity.to_string() + "\n", fs::perms(0600));
    }
    staging::ArtifactWriter writer() const {
        staging::ArtifactSettings settings;
        settings.keys.recipients = {identity.recipient()};
        settings.compression.threads = 1;
        return staging::ArtifactWriter(*work, settings, staging::DigestKey{});
    }
    // Regular files anywhere in the work dir, relative names.
    std::vector<std::string> files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::recursive_directory_iterator(work->path())) {
            if (entry.is_regular_file()) {
                names.push_back(fs::relative(entry.path(), work->path()).string());
            }
        }
        std::sort(names.begin(), names.end());
        return names;
    }
};

struct Inputs {
    TempDir dir{"offstage-source-inputs"};
};

struct SourceCase {
    std::string label;
    // A source over healthy input.
    std::function<std::unique_ptr<sources::Source>(Inputs&)> healthy;
    // A source whose input is in trouble (not its output).
    std::function<std::unique_ptr<sources::Source>(Inputs&)> troubled;
    // The reason the troubled source must report.
    report::ReasonCode trouble;
    // Whether its artifacts carry a plaintext digest (reuse when unchanged).
    bool reusable;
    // A shell pipeline that reads an artifact's decrypted bytes on stdin and exits 0 when they
    // are whole: a tar by default; a dump source names the check of its own format.
    std::string plaintext_check = "zstd -dc | tar -tf - >/dev/null";
    // Why the case cannot run on this machine (its server does not start); empty: it can.
    std::function<std::string()> unavailable = [] { return std::string(); };
};

// Test names show the case's label, not its bytes.
void PrintTo(const SourceCase& source_case, std::ostream* out) {
    *out << source_case.label;
}

std::unique_ptr<sources::Source> files_source(Inputs&) {
    return std::make_unique<sources::FilesSource>(TinyScan::shared().selection,
                                                  TinyDebianRoot::shared().root());
}

std::unique_ptr<sources::Source> system_source(Inputs&, fs::path dpkg) {
    const TinyDebianRoot& root = TinyDebianRoot::shared();
    sources::SystemSettings settings;
    settings.root = root.root();
    settings.admindir = root.admindir();
    settings.policy_dir = root.policy_dir();
    settings.dpkg = std::move(dpkg);
    return std::make_unique<sources::SystemSource>(settings, TinyScan::shared().selection);
}

sources::SpoolSettings spool_in(Inputs& inputs) {
    sources::SpoolSettings settings;
    settings.name = "Mail Queue";
    settings.directory = inputs.dir / "spool";
    settings.lock_file = inputs.dir / "spool.lock";
    settings.lock_timeout = std::chrono::milliseconds(400);
    write_file(settings.directory / "a/1.msg", "first message\n");
    write_file(settings.directory / "b/2.msg", std::string(100000, 'x'));
    fs::create_symlink("../a/1.msg", settings.directory / "b/link");
    write_file(settings.lock_file, "");
    return settings;
}

// Holds an exclusive flock on `path` until the returned child is killed.
pid_t hold_flock(const fs::path& path) {
    int ready[2];
    EXPECT_EQ(::pipe(ready), 0);
    pid_t child = ::fork();
    if (child == 0) {
        int fd = ::open(path.c_str(), O_RDONLY);
        char ok = (fd >= 0 && ::flock(fd, LOCK_EX) == 0) ? 'y' : 'n';
        [[maybe_unused]] auto written = ::write(ready[1], &ok, 1);
        ::pause();
        ::_exit(0);
    }
    char ok = 0;
    EXPECT_EQ(::read(ready[0], &ok, 1), 1);
    ::close(ready[0]);
    ::close(ready[1]);
    EXPECT_EQ(ok, 'y');
    return child;
}

// The AFS source without a cell: vos is a script serving the recorded `vos listvol -format`
// of tests/afs/data and its recorded dump of user.bob for every volume (the real cell is
// tests/afs/test_afs_cell.cpp). `cut`: every dump stops after 1000 bytes and exits 0.
std::unique_ptr<sources::Source> afs_source(Inputs& inputs, bool cut) {
    fs::path data = fs::path(OFFSTAGE_SOURCE_DIR) / "tests/afs/data";
    fs::path listing = data / "vos_listvol_format.txt";
    fs::path dump = data / "sample_user.bob.vosdump";
    write_file(inputs.dir / "vos",
               "#!/bin/sh\ncase \"$1\" in\nlistvol) grep -v '^\\$ ' '" + listing.string() +
                   "' ;;\nbackupsys) ;;\ndump) " +
                   (cut ? "head -c 1000 '" + dump.string() + "'" : "cat '" + dump.string() + "'") +
                   " ;;\n*) exit 2 ;;\nesac\n",
               fs::perms(0755));
    sources::afs::AfsSettings settings;
    settings.server = "10.254.254.1";
    settings.vos = inputs.dir / "vos";
    return std::make_unique<sources::afs::AfsSource>(settings);
}

std::vector<pid_t> lock_holders;

// A PostgreSQL server with one small database, for the program (the postgresql case); null when
// it cannot start here (not root: the server runs as the postgres user).
drill::PostgresqlServer* postgresql_server() {
    static std::unique_ptr<drill::PostgresqlServer> server = []() {
        std::unique_ptr<drill::PostgresqlServer> started;
        if (::geteuid() != 0) {
            return started;
        }
        started = std::make_unique<drill::PostgresqlServer>();
        started->psql("postgres", "CREATE DATABASE shop;\n\\c shop\nCREATE TABLE t (id int, "
                                  "body text);\nINSERT INTO t VALUES (1, 'pâté'), (2, '日本');\n");
        return started;
    }();
    return server.get();
}

std::unique_ptr<sources::Source> postgresql_source(const std::filesystem::path& socket_dir) {
    sources::PostgresqlSettings settings;
    settings.socket_dir = socket_dir;
    settings.timeout = std::chrono::seconds(10);
    return std::make_unique<sources::PostgresqlSource>(settings);
}

sources::SqliteSettings sqlite_in(Inputs& inputs) {
    sources::SqliteSettings settings;
    settings.name = "App DB";
    settings.path = inputs.dir / "app.sqlite";
    settings.temp_parent = inputs.dir.path();
    auto made =
        run_command({"sqlite3", settings.path.string(),
                     "CREATE TABLE t (x, y); INSERT INTO t VALUES (1, 'ü'), (2, x'00ff');"});
    EXPECT_EQ(made.exit_status, 0) << made.err;
    return settings;
}

// The MariaDB source over the seeded test server (tests/databases); `socket` overrides its
// socket (a server that is not there).
std::unique_ptr<sources::Source> mariadb_source(const drill::MariadbServer& server,
                                                const fs::path& socket = {}) {
    sources::MariadbSettings settings;
    settings.enabled = true;
    settings.connection.socket = socket.empty() ? server.socket() : socket;
    settings.connection.user = "root";
    settings.connection.connect_timeout = std::chrono::seconds(5);
    settings.databases = {"wiki"};
    return std::make_unique<sources::MariadbSource>(settings);
}

std::vector<SourceCase> cases() {
    const std::vector<SourceCase> all = {
        {"files", files_source,
         [](Inputs& inputs) {
             // A scan of a root whose annoying file vanishes before the archive reads it.
             fs::path root = inputs.dir / "root";
             auto copied =
                 run_command({"cp", "-a", TinyDebianRoot::shared().root().string(), root.string()});
             EXPECT_EQ(copied.exit_status, 0) << copied.err;
             selection::ScanSettings settings;
             settings.root = root;
             settings.admindir = root / "var/lib/dpkg";
             settings.policy_dir = TinyDebianRoot::shared().policy_dir();
             static std::vector<std::unique_ptr<policies::PolicySet>> keep_policies;
             static std::vector<std::unique_ptr<selection::BackupSelection>> keep;
             keep_policies.push_back(
                 std::make_unique<policies::PolicySet>(settings.load_policies()));
             keep.push_back(
                 std::make_unique<selection::BackupSelection>(selection::BackupSelection::compute(
                     settings.selection_input(), *keep_policies.back())));
             for (const auto& member : keep.back()->members()) {
                 if (member.reason == selection::Reason::annoying) {
                     fs::remove(root.string() + keep.back()->path(member));
                 }
             }
             return std::make_unique<sources::FilesSource>(*keep.back(), root);
         },
         report::ReasonCode::input_changed, false},
        {"system", [](Inputs& inputs) { return system_source(inputs, "/usr/bin/dpkg"); },
         [](Inputs& inputs) { return system_source(inputs, "/nonexistent/dpkg"); },
         report::ReasonCode::child_failed, true},
        {"spool",
         [](Inputs& inputs) { return std::make_unique<sources::SpoolSource>(spool_in(inputs)); },
         [](Inputs& inputs) {
             sources::SpoolSettings settings = spool_in(inputs);
             lock_holders.push_back(hold_flock(settings.lock_file));
             return std::make_unique<sources::SpoolSource>(settings);
         },
         report::ReasonCode::lock_timeout, true},
        {"afs", [](Inputs& inputs) { return afs_source(inputs, false); },
         [](Inputs& inputs) { return afs_source(inputs, true); },
         report::ReasonCode::child_output_incomplete, true,
         // A whole volume dump ends with the end tag and its magic.
         "zstd -dc | tail -c 5 | od -An -tx1 | grep -q '04 3a 21 4b 6e'"},
        {"postgresql",
         [](Inputs&) {
             if (postgresql_server() == nullptr) {
                 return std::unique_ptr<sources::Source>();
             }
             return postgresql_source(postgresql_server()->client().socket_dir);
         },
         [](Inputs& inputs) {
             // No server on that socket: listing the databases fails, within the timeout.
             ::chmod(inputs.dir.path().c_str(), 0755);
             return postgresql_source(inputs.dir.path());
         },
         report::ReasonCode::child_failed, true,
         // Every artifact is zstd; a -Fc dump in it reads whole with pg_restore, the rest
         // (globals, fingerprints) starts with its first line.
         "{ t=$(mktemp); zstd -dc > \"$t\" || exit 1; if head -c 5 \"$t\" | grep -q PGDMP; "
         "then " +
             sources::newest_postgresql_bin_dir().string() +
             "/pg_restore -f /dev/null \"$t\"; else head -n 1 \"$t\" | "
             "grep -q -e '^--' -e '^offstage postgresql'; fi; r=$?; rm -f \"$t\"; exit $r; }",
         [] {
             return postgresql_server() == nullptr
                        ? std::string("the PostgreSQL server runs as the postgres user: needs root")
                        : std::string();
         }},
        {"sqlite",
         [](Inputs& inputs) { return std::make_unique<sources::SqliteSource>(sqlite_in(inputs)); },
         [](Inputs& inputs) {
             sources::SqliteSettings settings = sqlite_in(inputs);
             settings.path = inputs.dir / "vanished.sqlite";
             return std::make_unique<sources::SqliteSource>(settings);
         },
         report::ReasonCode::input_unreadable, true,
         "zstd -dc | head -c 16 | grep -q -a -e '^SQLite format 3' -e '^offstage sqlite'"},
    };
    std::vector<SourceCase> with_servers = all;
    // The server starts when a mariadb test first runs, not when the tests are listed.
    // An installed server that does not start fails the test (the exception), never skips it.
    auto server = [] {
        std::string why;
        drill::MariadbServer* started = test::SeededMariadb::shared(why);
        if (started == nullptr) {
            throw std::runtime_error("the seeded MariaDB server did not start: " + why);
        }
        return started;
    };
    with_servers.push_back(
        {"mariadb", [server](Inputs&) { return mariadb_source(*server()); },
         [server](Inputs& inputs) { return mariadb_source(*server(), inputs.dir / "no.sock"); },
         report::ReasonCode::child_failed, true,
         "zstd -dc | grep -q -e '^-- Dump completed$' -e '^offstage mariadb fingerprint 2$'",
         [] {
             return test::SeededMariadb::installed()
                        ? std::string()
                        : std::string("mariadbd is not installed (apt-get install mariadb-server)");
         }});
    return with_servers;
}

class SourceConformance : public ::testing::TestWithParam<SourceCase> {
protected:
    void TearDown() override {
        for (pid_t holder : lock_holders) {
            ::kill(holder, SIGKILL);
            ::waitpid(holder, nullptr, 0);
        }
        lock_holders.clear();
    }
};

} // namespace

TEST_P(SourceConformance, WritesCompleteArtifactsOfTheGrammarThatDecrypt) {
    if (std::string why = GetParam().unavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    Inputs inputs;
    Stage stage;
    auto source = GetParam().healthy(inputs);
    if (!source) {
        GTEST_SKIP() << GetParam().label << ": its server cannot start here (needs root)";
    }
    report::SourceResult result;
    staging::ArtifactWriter writer = stage.writer();
    source->produce(writer, result);
    EXPECT_EQ(result.outcome, report::Outcome::ok);
    for (const auto& problem : result.problems) {
        ADD_FAILURE() << report::to_string(problem.code) << ": " << problem.detail;
    }
    ASSERT_FALSE(result.artifacts.empty());
    std::vector<std::string> names;
    for (const report::ArtifactRecord& artifact : result.artifacts) {
        EXPECT_TRUE(staging::is_artifact_name(artifact.name)) << artifact.name;
        EXPECT_TRUE(artifact.name.starts_with(source->name())) << artifact.name;
        EXPECT_EQ(fs::file_size(stage.work->path() / artifact.name), artifact.bytes);
        EXPECT_EQ(writer.sums().at(artifact.name), artifact.sha256);
        EXPECT_EQ(artifact.plaintext_digest.has_value(), GetParam().reusable) << artifact.name;
        names.push_back(artifact.name);
        // The stock age reads it, and the check of its format reads what age gives back.
        auto decrypted = run_command(
            {"sh", "-c", "age -d -i \"$1\" \"$2\" | " + GetParam().plaintext_check, "sh",
             (stage.dir / "identity.txt").string(), (stage.work->path() / artifact.name).string()});
        EXPECT_EQ(decrypted.exit_status, 0) << artifact.name << ": " << decrypted.err;
    }
    // Nothing but the artifacts: no temp file, no plaintext.
    std::sort(names.begin(), names.end());
    EXPECT_EQ(stage.files(), names);
}

TEST_P(SourceConformance, ReportsInputTroubleInItsOutcomeRatherThanThrowing) {
    if (std::string why = GetParam().unavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    Inputs inputs;
    Stage stage;
    auto source = GetParam().troubled(inputs);
    report::SourceResult result;
    staging::ArtifactWriter writer = stage.writer();
    EXPECT_NO_THROW(source->produce(writer, result));
    EXPECT_NE(result.outcome, report::Outcome::ok);
    bool named = false;
    for (const report::Problem& problem : result.problems) {
        named = named || problem.code == GetParam().trouble;
        EXPECT_FALSE(problem.detail.empty());
    }
    EXPECT_TRUE(named) << "no problem with reason " << report::to_string(GetParam().trouble);
    // Whatever it wrote is complete: only artifact names, each recorded.
    for (const std::string& name : stage.files()) {
        EXPECT_TRUE(writer.sums().contains(name)) << name << " is not a recorded artifact";
    }
}

TEST_P(SourceConformance, LeavesNothingBehindWhenItsOutputFails) {
    if (std::string why = GetParam().unavailable(); !why.empty()) {
        GTEST_SKIP() << why;
    }
    Inputs inputs;
    Stage stage;
    auto source = GetParam().healthy(inputs);
    if (!source) {
        GTEST_SKIP() << GetParam().label << ": its server cannot start here (needs root)";
    }
    // In a child whose files may not grow past 64 bytes (less than an age header): every artifact
    // write fails (EFBIG), as on a full disk. The source must throw, and leave no file in the work
    // dir.
    pid_t child = ::fork();
    if (child == 0) {
        ::signal(SIGXFSZ, SIG_IGN);
        rlimit limit{64, 64};
        ::setrlimit(RLIMIT_FSIZE, &limit);
        report::SourceResult result;
        staging::ArtifactWriter writer = stage.writer();
        try {
            source->produce(writer, result);
        } catch (const std::exception&) {
            ::_exit(0); // threw, as it must
        }
        ::_exit(1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status)) << "the source crashed";
    EXPECT_EQ(WEXITSTATUS(status), 0) << "the source did not throw when its output failed";
    EXPECT_EQ(stage.files(), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(EverySource, SourceConformance, ::testing::ValuesIn(cases()),
                         [](const auto& test) { return test.param.label; });
