// OpenAFS end to end on a real cell (tests/afs/afs_cell.hpp): RW volumes, a .readonly, .backup
// clones, a volume restored from a recorded dump with content, and one an exclude-volume rule
// names. The real `offstage run` (inside the cell's network namespace) stages exactly the RW
// volumes; each staged dump decrypts with the stock age and zstd, `vos restore`s into the cell
// and `vos examine` matches the original; the drill reads and restores them (and `offstage
// drill` does, into the cell [afs] drill_server/drill_partition names); an unchanged
// volume is reused (same inode) the next day; a dump cut short is never staged and leaves the
// last good artifact alone; a missing vos fails the AFS source and the rest of the run
// completes. Skipped, with the reason, where the machine cannot start a cell (not root, no
// network namespaces); CI runs as root and runs it.
#include "stager/drill/afs_drill.hpp"
#include "stager/sources/afs/vos_listing.hpp"
#include "tests/afs/afs_cell.hpp"
#include "tests/afs/afs_test_data.hpp"
#include "tests/selection/tiny_debian_root.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::AfsCell;
using offstage::test::built_program;
using offstage::test::CommandResult;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::TinyDebianRoot;
using offstage::test::write_file;

namespace {

// The RW volumes the run must stage (scratch.tmp is excluded by a rule).
const std::vector<std::string> staged = {"root.afs", "user.alice", "user.bob", "web.hcoop"};

class AfsCellRun : public ::testing::Test {
protected:
    static inline std::unique_ptr<AfsCell> cell;
    static inline std::string skip_reason;

    static void SetUpTestSuite() {
        if (auto reason = AfsCell::unavailable()) {
            skip_reason = *reason;
            return;
        }
        cell = std::make_unique<AfsCell>();
        std::string a = cell->address(), p = cell->partition();
        for (const char* volume : {"root.afs", "user.alice", "web.hcoop", "scratch.tmp"}) {
            cell->vos_ok({"create", a, p, volume, "-maxquota", "5000"});
        }
        cell->vos_ok({"addsite", a, p, "root.afs"});
        cell->vos_ok({"release", "root.afs"});
        cell->vos_ok({"restore", a, p, "user.bob", test::afs_data("sample_user.bob.vosdump")});
        cell->vos_ok({"backupsys"});
    }
    static void TearDownTestSuite() { cell.reset(); }

    TempDir dir{"offstage-afs-run"};
    fs::path staging = dir / "srv/offstage";
    fs::path identity = dir / "identity.txt";
    fs::path policy_dir = dir / "policy.d";
    std::string recipient;

    void SetUp() override {
        if (!skip_reason.empty()) {
            GTEST_SKIP() << skip_reason;
        }
        ASSERT_TRUE(cell);
        fs::create_directories(staging);
        ASSERT_EQ(run_command({"age-keygen", "-o", identity.string()}).exit_status, 0);
        recipient = run_command({"age-keygen", "-y", identity.string()}).out;
        recipient.erase(recipient.find_last_not_of('\n') + 1);
        fs::copy(TinyDebianRoot::shared().policy_dir(), policy_dir);
        write_file(policy_dir / "90-afs.policy", "exclude-volume scratch.*  # regenerable\n");
        write_config();
    }

    // `afs_extra` adds keys to [afs].
    void write_config(const std::string& vos = "/usr/bin/vos", const std::string& afs_extra = "") {
        const TinyDebianRoot& root = TinyDebianRoot::shared();
        write_file(dir / "offstage.toml",
                   "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                       (dir / "state/signing.key").string() + "\"\nkeep = 3\n[run]\nlock = \"" +
                       (dir / "run.lock").string() + "\"\nstate_dir = \"" +
                       (dir / "state").string() + "\"\nlog_file = \"" + (dir / "run.log").string() +
                       "\"\nsyslog = false\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                       (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                       root.root().string() + "\"\nadmindir = \"" + root.admindir().string() +
                       "\"\npolicy_dir = \"" + policy_dir.string() +
                       "\"\n[encryption]\nrecipients = [\"" + recipient +
                       "\"]\n[mail]\nrecipients = []\n[afs]\nserver = \"" + cell->address() +
                       "\"\nvos = \"" + vos + "\"\nconfig_dir = \"" + cell->config_dir().string() +
                       "\"\nretry_delay = 1\n" + afs_extra);
    }

    // `offstage drill DAY -i IDENTITY ARGS...` as root inside the cell's namespace.
    CommandResult drill(const std::string& day, std::vector<std::string> arguments = {}) const {
        std::vector<std::string> argv{built_program("offstage").string(),
                                      "--config",
                                      (dir / "offstage.toml").string(),
                                      "drill",
                                      day,
                                      "-i",
                                      identity.string()};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        return cell->run(argv, std::chrono::seconds(300));
    }

    // The volumes of the cell's file server whose name starts with "drill.".
    static std::vector<std::string> drill_volumes() {
        std::vector<std::string> names;
        std::istringstream lines(cell->vos_ok({"listvol", cell->address()}));
        for (std::string line; std::getline(lines, line);) {
            if (line.starts_with("drill.")) {
                names.push_back(line.substr(0, line.find(' ')));
            }
        }
        return names;
    }

    // `offstage run` as root inside the cell's namespace, where vos reaches the cell.
    CommandResult run(const std::string& day) const {
        return cell->run({built_program("offstage").string(), "--config",
                          (dir / "offstage.toml").string(), "run", "--day", day},
                         std::chrono::seconds(300));
    }

    std::vector<std::string> afs_artifacts(const std::string& day) const {
        std::vector<std::string> names;
        if (fs::exists(staging / day / "afs")) {
            for (const auto& entry : fs::directory_iterator(staging / day / "afs")) {
                names.push_back(entry.path().filename().string());
            }
        }
        std::sort(names.begin(), names.end());
        return names;
    }

    std::map<std::string, std::uint64_t> counts(const std::string& day) const {
        CommandResult rows = run_command(
            {"sqlite3", "-separator", "=", (dir / "state/catalog.sqlite").string(),
             "SELECT c.key, c.value FROM source_counts c JOIN runs r ON r.id = c.run_id "
             "WHERE c.source = 'afs' AND r.day = '" +
                 day + "' ORDER BY r.id DESC"});
        std::map<std::string, std::uint64_t> result;
        std::istringstream lines(rows.out);
        for (std::string line; std::getline(lines, line);) {
            auto at = line.find('=');
            result.try_emplace(line.substr(0, at), std::stoull(line.substr(at + 1)));
        }
        return result;
    }

    // The volume's -format examine inside the cell.
    static sources::afs::VosVolume examine(const std::string& volume) {
        return sources::afs::parse_examine_format(cell->vos_ok({"examine", volume, "-format"}));
    }
};

std::vector<std::string> artifact_names(const std::vector<std::string>& volumes) {
    std::vector<std::string> names;
    for (const std::string& volume : volumes) {
        names.push_back(volume + ".vosdump.zst.age");
    }
    return names;
}

} // namespace

TEST_F(AfsCellRun, StagesExactlyTheRWVolumesAndEachRestoresAsTheOriginal) {
    CommandResult first = run("2026-11-22");
    ASSERT_EQ(first.exit_status, 0) << first.out << first.err << read_file(dir / "run.log");
    EXPECT_EQ(afs_artifacts("2026-11-22"), artifact_names(staged));

    // Every volume of the server is accounted for: 5 RW (one excluded), 1 .readonly, 5 .backup.
    auto afs = counts("2026-11-22");
    EXPECT_EQ(afs["volumes_listed"], 11u);
    EXPECT_EQ(afs["volumes_dumped"], 4u);
    EXPECT_EQ(afs["volumes_excluded"], 1u);
    EXPECT_EQ(afs["volumes_clones"], 6u);
    EXPECT_EQ(afs["volumes_listed"], afs["volumes_dumped"] + afs["volumes_reused"] +
                                         afs["volumes_excluded"] + afs["volumes_clones"] +
                                         afs["volumes_unavailable"] + afs["volumes_failed"]);

    // Each staged dump decrypts with the stock tools and restores into the cell as the original.
    for (const std::string& volume : staged) {
        fs::path plain = dir / (volume + ".vosdump");
        CommandResult decrypted = run_command(
            {"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc > \"$3\"", "sh", identity.string(),
             (staging / "2026-11-22/afs" / (volume + ".vosdump.zst.age")).string(),
             plain.string()});
        ASSERT_EQ(decrypted.exit_status, 0) << decrypted.err;
        std::string copy = "check." + std::to_string(&volume - staged.data());
        cell->vos_ok(
            {"restore", cell->address(), cell->partition(), copy, "-file", plain.string()});
        sources::afs::VosVolume original = examine(volume), restored = examine(copy);
        EXPECT_EQ(restored.update_date, original.update_date) << volume;
        EXPECT_EQ(restored.file_count, original.file_count) << volume;
        EXPECT_EQ(restored.max_quota, original.max_quota) << volume;
        EXPECT_TRUE(restored.in_use) << volume;
        cell->vos_ok(
            {"remove", "-server", cell->address(), "-partition", cell->partition(), "-id", copy});
    }
    // user.bob came from a recorded dump with content: more than a bare root directory.
    EXPECT_GT(examine("user.bob").file_count, 0u);
}

TEST_F(AfsCellRun, TheDrillReadsAndRestoresEveryStagedDump) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0) << read_file(dir / "run.log");
    // vos reaches the cell only from inside its namespace: the drill's vos is a wrapper.
    CommandResult ns = cell->run({"readlink", "/proc/self/ns/net"});
    fs::path wrapper = dir / "vos-in-cell";
    write_file(wrapper,
               "#!/bin/sh\nfor p in /proc/[0-9]*; do\n  [ \"$(readlink $p/ns/net)\" = '" +
                   ns.out.substr(0, ns.out.find('\n')) +
                   "' ] && exec nsenter -t ${p#/proc/} -n /usr/bin/vos \"$@\"\ndone\nexit 1\n",
               fs::perms(0755));
    drill::AfsDrillCell target;
    target.server = cell->address();
    target.partition = cell->partition();
    target.vos = wrapper;
    target.config_dir = cell->config_dir();

    restore::DayDirectory day(staging / "2026-11-22");
    std::vector<age::X25519Identity> identities = age::load_identities_file(identity);
    std::vector<std::string> names;
    for (const std::string& volume : staged) {
        names.push_back("afs/" + volume + ".vosdump.zst.age");
    }
    fs::create_directories(dir / "scratch");
    drill::DrillContext context{day, identities, dir / "scratch", names, {}};
    std::vector<drill::DrillVerdict> verdicts = drill::AfsDrill(target).run(context);
    ASSERT_EQ(verdicts.size(), staged.size());
    for (const drill::DrillVerdict& verdict : verdicts) {
        EXPECT_TRUE(verdict.ok) << verdict.subject << ": " << verdict.detail;
        EXPECT_NE(verdict.detail.find("vos examine agrees"), std::string::npos) << verdict.detail;
    }
    // The scratch volumes are gone again.
    EXPECT_EQ(cell->vos({"examine", "drill.536870915"}).exit_status, 255);
    EXPECT_TRUE(fs::is_empty(dir / "scratch"));
}

// The drill cell as an admin configures it: [afs] drill_server and drill_partition make
// `offstage drill` restore each staged dump into the cell under a scratch name, compare `vos
// examine` with the dump, and remove it again; without them the dumps are only read.
TEST_F(AfsCellRun, TheDrillCommandRestoresIntoTheConfiguredCell) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0) << read_file(dir / "run.log");
    CommandResult read_only = drill("2026-11-22");
    ASSERT_EQ(read_only.exit_status, 0) << read_only.out << read_only.err;
    EXPECT_EQ(read_only.out.find("restored into"), std::string::npos) << read_only.out;

    write_config("/usr/bin/vos", "drill_server = \"" + cell->address() +
                                     "\"\ndrill_partition = \"" + cell->partition() + "\"\n");
    CommandResult restored = drill("2026-11-22");
    EXPECT_EQ(restored.exit_status, 0) << restored.out << restored.err;
    for (const std::string& volume : staged) {
        EXPECT_NE(restored.out.find("ok        afs/" + volume + ": dump whole: volume " + volume),
                  std::string::npos)
            << volume << "\n"
            << restored.out;
    }
    EXPECT_EQ(restored.out.find("MISMATCH"), std::string::npos) << restored.out;
    std::size_t restores = 0;
    for (std::size_t at = 0; (at = restored.out.find("; restored into " + cell->address() + " " +
                                                         cell->partition() + " as drill.",
                                                     at)) != std::string::npos;
         ++at) {
        ++restores;
    }
    EXPECT_EQ(restores, staged.size()) << restored.out;
    EXPECT_NE(restored.out.find("4 subjects, 4 equal, 0 not matching"), std::string::npos)
        << restored.out;
    EXPECT_TRUE(drill_volumes().empty()); // every scratch volume removed again

    // A partition the server does not have: vos restore fails, named in a MISMATCH verdict
    // (exit 7), and nothing is left behind. --afs-partition on the command line wins over it.
    write_config("/usr/bin/vos",
                 "drill_server = \"" + cell->address() + "\"\ndrill_partition = \"/vicepy\"\n");
    CommandResult nowhere = drill("2026-11-22", {"--only", "afs/user.bob"});
    EXPECT_EQ(nowhere.exit_status, 7) << nowhere.out << nowhere.err;
    EXPECT_NE(nowhere.out.find("MISMATCH  afs/user.bob: "), std::string::npos) << nowhere.out;
    EXPECT_NE(nowhere.out.find("vos"), std::string::npos) << nowhere.out;
    EXPECT_TRUE(drill_volumes().empty());
    CommandResult overridden =
        drill("2026-11-22", {"--only", "afs/user.bob", "--afs-partition", cell->partition()});
    EXPECT_EQ(overridden.exit_status, 0) << overridden.out << overridden.err;
    EXPECT_NE(overridden.out.find("ok        afs/user.bob: "), std::string::npos) << overridden.out;
    EXPECT_NE(overridden.out.find("vos examine agrees"), std::string::npos) << overridden.out;

    // One of the pair alone is a configuration error naming the key.
    write_config("/usr/bin/vos", "drill_server = \"" + cell->address() + "\"\n");
    CommandResult half = drill("2026-11-22");
    EXPECT_EQ(half.exit_status, 3) << half.out << half.err;
    EXPECT_NE(half.err.find("[afs] drill_partition"), std::string::npos) << half.err;
}

TEST_F(AfsCellRun, ReusesUnchangedVolumesAndNeverReplacesAGoodDumpWithACutOne) {
    ASSERT_EQ(run("2026-11-22").exit_status, 0) << read_file(dir / "run.log");
    CommandResult second = run("2026-11-23");
    ASSERT_EQ(second.exit_status, 0) << second.out << second.err;
    EXPECT_EQ(afs_artifacts("2026-11-23"), artifact_names(staged));
    EXPECT_EQ(counts("2026-11-23")["volumes_reused"], 4u);
    for (const std::string& name : artifact_names(staged)) {
        struct stat before {
        }, after{};
        ASSERT_EQ(::stat((staging / "2026-11-22/afs" / name).c_str(), &before), 0);
        ASSERT_EQ(::stat((staging / "2026-11-23/afs" / name).c_str(), &after), 0);
        EXPECT_EQ(before.st_ino, after.st_ino) << name << " was not reused";
    }

    // user.alice changes (a restore over it gives it another update date); its dump is then cut
    // short by a vos that exits 0.
    cell->vos_ok({"restore", cell->address(), cell->partition(), "user.alice", "-file",
                  test::afs_data("sample_user.bob.vosdump").string(), "-overwrite", "full"});
    fs::path cutting = dir / "vos-cutting";
    write_file(cutting,
               "#!/bin/sh\nif [ \"$1\" = dump ]; then /usr/bin/vos \"$@\" | head -c 1000; "
               "exit 0; fi\nexec /usr/bin/vos \"$@\"\n",
               fs::perms(0755));
    write_config(cutting.string());
    CommandResult third = run("2026-11-24");
    EXPECT_EQ(third.exit_status, 5) << third.out << third.err; // degraded: the rest published
    EXPECT_EQ(afs_artifacts("2026-11-24"), artifact_names({"root.afs", "user.bob", "web.hcoop"}));
    auto afs = counts("2026-11-24");
    EXPECT_EQ(afs["volumes_failed"], 1u);
    EXPECT_EQ(afs["volumes_reused"], 3u);
    std::string log = read_file(dir / "run.log");
    EXPECT_NE(log.find("child_output_incomplete"), std::string::npos) << log;
    // Yesterday's good dump of user.alice is untouched and still verifies.
    CommandResult verified = run_command({built_program("offstage").string(), "--config",
                                          (dir / "offstage.toml").string(), "verify", "-i",
                                          identity.string(), (staging / "2026-11-23").string()});
    EXPECT_EQ(verified.exit_status, 0) << verified.out << verified.err;
}

TEST_F(AfsCellRun, AMissingVosFailsTheAfsSourceAndTheRestOfTheRunCompletes) {
    write_config("/nonexistent/vos");
    CommandResult done = run("2026-11-22");
    EXPECT_EQ(done.exit_status, 5) << done.out << done.err;
    EXPECT_TRUE(afs_artifacts("2026-11-22").empty());
    EXPECT_TRUE(fs::exists(staging / "2026-11-22/files.tar.zst.age"));
    std::string log = read_file(dir / "run.log");
    EXPECT_NE(log.find("vos /nonexistent/vos cannot be run"), std::string::npos) << log;
}
