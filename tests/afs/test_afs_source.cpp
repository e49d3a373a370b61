// The AFS source's promises and failures without a cell: vos is a wrapper script serving the
// recorded outputs of tests/afs/data (a real `vos listvol -format` listing, real volume dumps),
// which lets a test make a volume busy, missing or its dump truncated on demand. What the source
// stages, the counts that add up to the listing, the retries, and the drill's dump reader on
// what was staged. The real cell is tests/afs/test_afs_cell.cpp.
#include "stager/drill/afs_drill.hpp"
#include "stager/sources/afs/afs_source.hpp"
#include "tests/afs/afs_test_data.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::afs_data;
using offstage::test::read_file;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

// A vos stand-in: logs each command line to `calls`, answers listvol with listvol.txt, dump -id V
// with dumps/V (busy/V: "busy" once; always-busy/V: always; truncate/V: the first 1000 bytes,
// exit 0; no dumps/V: "no such entry"), backupsys with success unless backupsys.fail exists.
struct FakeVos {
    TempDir dir{"offstage-fake-vos"};
    fs::path vos = dir / "vos";
    FakeVos() {
        write_file(dir / "listvol.txt",
                   test::vos_output_of(read_file(afs_data("vos_listvol_format.txt"))));
        for (const char* volume : {"root.afs.backup", "user.bob.backup", "web.hcoop.backup",
                                   "root.afs", "user.bob", "web.hcoop"}) {
            write_file(dir / "dumps" / volume, test::bob_dump());
        }
        fs::create_directories(dir / "busy");
        fs::create_directories(dir / "always-busy");
        fs::create_directories(dir / "truncate");
        write_file(vos,
                   "#!/bin/sh\nD='" + dir.path().string() +
                       "'\n"
                       "echo \"$*\" >> \"$D/calls\"\n"
                       "case \"$1\" in\n"
                       "listvol) cat \"$D/listvol.txt\" ;;\n"
                       "backupsys) [ -f \"$D/backupsys.fail\" ] && { echo 'vos: no quorum' >&2; "
                       "exit 1; }; echo 'Total volumes backed up: 1; failed to backup: 0' ;;\n"
                       "dump) v=\"$3\"\n"
                       "  if [ -f \"$D/busy/$v\" ]; then rm \"$D/busy/$v\"; "
                       "echo 'Volume is busy' >&2; exit 255; fi\n"
                       "  if [ -f \"$D/always-busy/$v\" ]; then echo 'Volume is busy' >&2; "
                       "exit 255; fi\n"
                       "  [ -f \"$D/dumps/$v\" ] || { echo 'VLDB: no such entry' >&2; exit 255; "
                       "}\n"
                       "  if [ -f \"$D/truncate/$v\" ]; then head -c 1000 \"$D/dumps/$v\"; "
                       "exit 0; fi\n"
                       "  cat \"$D/dumps/$v\" ;;\n"
                       "*) echo \"unexpected: $*\" >&2; exit 2 ;;\n"
                       "esac\n",
                   fs::perms(0755));
    }
    std::string calls() const {
        return fs::exists(dir / "calls") ? read_file(dir / "calls") : std::string();
    }
    sources::afs::AfsSettings settings() const {
        sources::afs::AfsSettings settings;
        settings.server = "10.254.254.1";
        settings.vos = vos;
        settings.retry_delay = std::chrono::milliseconds(10);
        return settings;
    }
};

struct Stage {
    TempDir dir{"offstage-afs-stage"};
    age::X25519Identity identity = age::X25519Identity::generate();
    std::unique_ptr<staging::StagingTree> tree;
    std::unique_ptr<staging::WorkDir> work;
    std::unique_ptr<staging::ArtifactWriter> writer;
    report::SourceResult result;
    Stage() {
        fs::create_directories(dir / "srv");
        tree = std::make_unique<staging::StagingTree>(dir / "srv", dir / "work");
        work = std::make_unique<staging::WorkDir>(tree->begin("2026-11-22"));
        write_file(dir / "identity.txt", identity.to_string() + "\n", fs::perms(0600));
        staging::ArtifactSettings settings;
        settings.keys.recipients = {identity.recipient()};
        settings.compression.threads = 1;
        writer = std::make_unique<staging::ArtifactWriter>(*work, settings, staging::DigestKey{});
    }
    void produce(const sources::afs::AfsSettings& settings) {
        result.name = "afs";
        sources::afs::AfsSource(settings).produce(*writer, result);
    }
    std::uint64_t count(const std::string& key) const {
        auto found = result.counts.find(key);
        return found == result.counts.end() ? 0 : found->second;
    }
    // listed = dumped + reused + excluded + clones + unavailable + failed.
    void expect_counts_add_up() const {
        EXPECT_EQ(count("volumes_listed"), count("volumes_dumped") + count("volumes_reused") +
                                               count("volumes_excluded") + count("volumes_clones") +
                                               count("volumes_unavailable") +
                                               count("volumes_failed"));
    }
    std::vector<std::string> artifact_files() const {
        std::vector<std::string> names;
        for (const auto& entry : fs::recursive_directory_iterator(work->path())) {
            if (entry.is_regular_file()) {
                names.push_back(fs::relative(entry.path(), work->path()).string());
            }
        }
        std::sort(names.begin(), names.end());
        return names;
    }
    std::string plaintext(const std::string& artifact) const {
        auto decrypted =
            run_command({"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc", "sh",
                         (dir / "identity.txt").string(), (work->path() / artifact).string()});
        EXPECT_EQ(decrypted.exit_status, 0) << decrypted.err;
        return decrypted.out;
    }
    std::string problems() const {
        std::string text;
        for (const report::Problem& problem : result.problems) {
            text += std::string(report::to_string(problem.code)) + ": " + problem.detail + "\n";
        }
        return text;
    }
};

const std::vector<std::string> all_three = {"afs/root.afs.vosdump.zst.age",
                                            "afs/user.bob.vosdump.zst.age",
                                            "afs/web.hcoop.vosdump.zst.age"};

} // namespace

TEST(AfsSource, DumpsEveryRWVolumeFromAFreshCloneOfExactlyThoseVolumes) {
    FakeVos vos;
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::ok) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), all_three);
    EXPECT_EQ(stage.count("volumes_listed"), 7u);
    EXPECT_EQ(stage.count("volumes_dumped"), 3u);
    EXPECT_EQ(stage.count("volumes_clones"), 4u);
    stage.expect_counts_add_up();
    std::string calls = vos.calls();
    EXPECT_NE(calls.find("listvol 10.254.254.1 -format -localauth\n"), std::string::npos) << calls;
    EXPECT_NE(calls.find("backupsys -server 10.254.254.1 -prefix ^root\\.afs$ -prefix "
                         "^user\\.bob$ -prefix ^web\\.hcoop$ -localauth\n"),
              std::string::npos)
        << calls;
    EXPECT_NE(calls.find("dump -id user.bob.backup -time 0 -localauth\n"), std::string::npos)
        << calls;
    // The plaintext is the dump, byte for byte.
    EXPECT_EQ(stage.plaintext("afs/user.bob.vosdump.zst.age"), test::bob_dump());
    for (const report::ArtifactRecord& artifact : stage.result.artifacts) {
        EXPECT_TRUE(artifact.plaintext_digest.has_value()) << artifact.name;
    }
}

TEST(AfsSource, LeavesOutVolumesAnExcludeVolumeRuleNames) {
    FakeVos vos;
    Stage stage;
    auto settings = vos.settings();
    settings.policy_dir = vos.dir / "policy.d";
    write_file(settings.policy_dir / "50-afs.policy",
               "exclude /srv/scratch/\nexclude-volume web.*   # regenerable web content\n");
    stage.produce(settings);
    EXPECT_EQ(stage.result.outcome, report::Outcome::ok) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), (std::vector<std::string>{all_three[0], all_three[1]}));
    EXPECT_EQ(stage.count("volumes_excluded"), 1u);
    stage.expect_counts_add_up();
    EXPECT_EQ(vos.calls().find("web.hcoop"), std::string::npos) << vos.calls();
}

TEST(AfsSource, ReportsBusyAndUnattachableVolumesOfTheListingById) {
    FakeVos vos;
    std::string listing = read_file(vos.dir / "listvol.txt");
    listing.replace(listing.find(": 7"), 3, ": 9");
    listing += "BEGIN_OF_ENTRY\nid\t\t536870930\nserv\t\t10.254.254.1\t10.254.254.1\npart\t\t"
               "/vicepz\nstatus\t\tBUSY\nEND_OF_ENTRY\n\n**** Could not attach volume 536870931 "
               "****\n";
    write_file(vos.dir / "listvol.txt", listing);
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::degraded) << stage.problems();
    EXPECT_EQ(stage.count("volumes_unavailable"), 2u);
    EXPECT_EQ(stage.count("volumes_dumped"), 3u);
    stage.expect_counts_add_up();
    std::string problems = stage.problems();
    EXPECT_NE(problems.find("volume_unavailable: volume id 536870930 on 10.254.254.1 is busy"),
              std::string::npos)
        << problems;
    EXPECT_NE(problems.find("volume id 536870931 on 10.254.254.1 is unattachable"),
              std::string::npos)
        << problems;
}

TEST(AfsSource, RefusesAListingThatDoesNotAddUpToItsHeader) {
    FakeVos vos;
    std::string listing = read_file(vos.dir / "listvol.txt");
    listing.replace(listing.find(": 7"), 3, ": 8");
    write_file(vos.dir / "listvol.txt", listing);
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::failed);
    EXPECT_NE(stage.problems().find("announces 8 volumes and lists 7"), std::string::npos)
        << stage.problems();
    EXPECT_TRUE(stage.artifact_files().empty());
}

TEST(AfsSource, RetriesABusyDumpAndRecordsTheTime) {
    FakeVos vos;
    write_file(vos.dir / "busy/user.bob.backup", "");
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::ok) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), all_three);
    EXPECT_EQ(stage.count("dump_retries"), 1u);
    EXPECT_TRUE(stage.result.counts.contains("retry_wait_ms"));
    stage.expect_counts_add_up();
}

TEST(AfsSource, GivesUpOnAVolumeThatStaysBusyAfterItsRetries) {
    FakeVos vos;
    write_file(vos.dir / "always-busy/user.bob.backup", "");
    Stage stage;
    auto settings = vos.settings();
    settings.retries = 2;
    stage.produce(settings);
    EXPECT_EQ(stage.result.outcome, report::Outcome::failed);
    EXPECT_EQ(stage.count("dump_retries"), 2u);
    EXPECT_EQ(stage.count("volumes_failed"), 1u);
    EXPECT_EQ(stage.count("volumes_dumped"), 2u);
    stage.expect_counts_add_up();
    EXPECT_NE(stage.problems().find("volume user.bob (id 536870915): "), std::string::npos)
        << stage.problems();
    EXPECT_NE(stage.problems().find("after 2 retries"), std::string::npos) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), (std::vector<std::string>{all_three[0], all_three[2]}));
}

TEST(AfsSource, AVolumeThatDoesNotExistFailsItAloneNamingIt) {
    FakeVos vos;
    fs::remove(vos.dir / "dumps/web.hcoop.backup");
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::failed);
    ASSERT_EQ(stage.result.problems.size(), 1u) << stage.problems();
    EXPECT_EQ(stage.result.problems[0].code, report::ReasonCode::child_failed);
    EXPECT_NE(stage.problems().find("volume web.hcoop (id 536870918)"), std::string::npos)
        << stage.problems();
    EXPECT_NE(stage.problems().find("no such entry"), std::string::npos) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), (std::vector<std::string>{all_three[0], all_three[1]}));
    stage.expect_counts_add_up();
}

TEST(AfsSource, ATruncatedDumpThatExitsZeroIsNeverStaged) {
    FakeVos vos;
    write_file(vos.dir / "truncate/web.hcoop.backup", "");
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::failed);
    ASSERT_EQ(stage.result.problems.size(), 1u) << stage.problems();
    EXPECT_EQ(stage.result.problems[0].code, report::ReasonCode::child_output_incomplete);
    EXPECT_NE(stage.problems().find("volume web.hcoop (id 536870918)"), std::string::npos);
    EXPECT_NE(stage.problems().find("1000 bytes do not end with the dump's end marker"),
              std::string::npos)
        << stage.problems();
    EXPECT_EQ(stage.artifact_files(), (std::vector<std::string>{all_three[0], all_three[1]}));
    stage.expect_counts_add_up();
}

TEST(AfsSource, MissingVosIsAClearSourceError) {
    Stage stage;
    sources::afs::AfsSettings settings;
    settings.server = "10.254.254.1";
    settings.vos = "/nonexistent/bin/vos";
    stage.produce(settings);
    EXPECT_EQ(stage.result.outcome, report::Outcome::failed);
    ASSERT_EQ(stage.result.problems.size(), 1u);
    EXPECT_EQ(stage.result.problems[0].code, report::ReasonCode::disabled);
    EXPECT_NE(stage.problems().find("vos /nonexistent/bin/vos cannot be run"), std::string::npos)
        << stage.problems();
    EXPECT_TRUE(stage.artifact_files().empty());
}

TEST(AfsSource, DumpsTheRWVolumesWhenBackupsysFails) {
    FakeVos vos;
    write_file(vos.dir / "backupsys.fail", "");
    Stage stage;
    stage.produce(vos.settings());
    EXPECT_EQ(stage.result.outcome, report::Outcome::degraded) << stage.problems();
    EXPECT_NE(stage.problems().find("no quorum"), std::string::npos) << stage.problems();
    EXPECT_EQ(stage.artifact_files(), all_three);
    EXPECT_NE(vos.calls().find("dump -id user.bob -time 0"), std::string::npos) << vos.calls();
    EXPECT_EQ(vos.calls().find(".backup -time 0"), std::string::npos) << vos.calls();
}

TEST(AfsSource, WithoutBackupsysDumpsTheExistingClones) {
    FakeVos vos;
    Stage stage;
    auto settings = vos.settings();
    settings.backupsys = false;
    settings.config_dir = "/etc/openafs-test";
    settings.auth_wrapper = {"/usr/bin/env", "--"};
    stage.produce(settings);
    EXPECT_EQ(stage.result.outcome, report::Outcome::ok) << stage.problems();
    std::string calls = vos.calls();
    EXPECT_EQ(calls.find("backupsys"), std::string::npos) << calls;
    EXPECT_EQ(calls.find("-localauth"), std::string::npos) << calls; // the wrapper authenticates
    EXPECT_NE(calls.find("dump -id web.hcoop.backup -time 0 -config /etc/openafs-test\n"),
              std::string::npos)
        << calls;
}

TEST(AfsDrill, ReadsStagedDumpsAndRefusesATruncatedOneWithItsOffset) {
    FakeVos vos;
    Stage stage;
    stage.produce(vos.settings());
    ASSERT_EQ(stage.result.outcome, report::Outcome::ok) << stage.problems();
    // A dump that a broken vos cut short, staged as if whole (what the end-marker check stops).
    auto bad = stage.writer->begin_stream("afs/cut.vosdump.zst.age");
    std::string cut = test::bob_dump().substr(0, 1500);
    bad->sink().write(std::as_bytes(std::span(cut.data(), cut.size())));
    bad->commit();

    restore::DayDirectory day(stage.work->path());
    std::vector<age::X25519Identity> identities{stage.identity};
    drill::DrillContext context{day, identities, stage.dir / "scratch", stage.artifact_files(), {}};
    fs::create_directories(context.scratch);
    std::vector<drill::DrillVerdict> verdicts = drill::AfsDrill().run(context);
    ASSERT_EQ(verdicts.size(), 4u);
    for (const drill::DrillVerdict& verdict : verdicts) {
        if (verdict.subject == "afs/cut") {
            EXPECT_FALSE(verdict.ok);
            EXPECT_EQ(verdict.detail.rfind("not a whole volume dump: byte ", 0), 0u)
                << verdict.detail;
            EXPECT_NE(verdict.detail.find("(truncated)"), std::string::npos) << verdict.detail;
        } else {
            EXPECT_TRUE(verdict.ok) << verdict.subject << ": " << verdict.detail;
            EXPECT_NE(verdict.detail.find("dump whole: volume user.bob (id 536870915)"),
                      std::string::npos)
                << verdict.detail;
            EXPECT_EQ(verdict.plaintext_bytes, 2503u);
        }
    }
    // --only names one volume.
    context.only = {"afs/user.bob"};
    verdicts = drill::AfsDrill().run(context);
    ASSERT_EQ(verdicts.size(), 1u);
    EXPECT_EQ(verdicts[0].subject, "afs/user.bob");
}
