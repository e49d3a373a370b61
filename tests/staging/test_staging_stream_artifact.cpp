// StreamArtifact: the path of a dump (bytes that are not a tar) into a day: zstd -> age ->
// DayFile, complete or absent, reusable by the keyed digest of a fingerprint.
#include "stager/age/identity.hpp"
#include "stager/staging/artifact_writer.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;
using namespace offstage;
using offstage::test::run_command;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

struct Day {
    TempDir dir{"offstage-stream"};
    age::X25519Identity identity = age::X25519Identity::generate();
    staging::StagingTree tree;
    std::unique_ptr<staging::WorkDir> work;
    Day()
        : tree((fs::create_directories(dir / "srv/offstage"), dir / "srv/offstage"), dir / "work") {
        work = std::make_unique<staging::WorkDir>(tree.begin("2026-11-22"));
        write_file(dir / "identity.txt", identity.to_string() + "\n", fs::perms(0600));
    }
    staging::ArtifactSettings settings() const {
        staging::ArtifactSettings settings;
        settings.keys.recipients = {identity.recipient()};
        settings.compression.threads = 1;
        return settings;
    }
    std::string decrypt(const std::string& name) const {
        auto out = run_command({"sh", "-c", "age -d -i \"$1\" \"$2\" | zstd -dc", "sh",
                                (dir / "identity.txt").string(), (work->path() / name).string()});
        EXPECT_EQ(out.exit_status, 0) << out.err;
        return out.out;
    }
};

void write_text(platform::ByteSink& sink, std::string_view text) {
    sink.write(std::as_bytes(std::span(text.data(), text.size())));
}

} // namespace

TEST(StreamArtifact, WritesTheBytesThroughZstdAndAgeUnderANestedName) {
    Day day;
    staging::ArtifactWriter writer(*day.work, day.settings(), staging::DigestKey{});
    std::string dump = "-- MariaDB dump\nINSERT INTO t VALUES (1);\n-- Dump completed\n";
    auto artifact = writer.begin_stream("db/mariadb/sales.sql.zst.age");
    write_text(artifact->sink(), dump);
    EXPECT_EQ(artifact->plaintext_bytes(), dump.size());
    report::Digest key = writer.keyed_digest("fingerprint of sales");
    report::ArtifactRecord record = artifact->commit(key);
    EXPECT_EQ(record.name, "db/mariadb/sales.sql.zst.age");
    EXPECT_EQ(record.plaintext_digest, key);
    EXPECT_EQ(record.bytes, fs::file_size(day.work->path() / record.name));
    EXPECT_EQ(writer.sums().at(record.name), record.sha256);
    EXPECT_EQ(day.decrypt(record.name), dump);
    EXPECT_NE(writer.keyed_digest("fingerprint of sales"), writer.keyed_digest("other"));
}

TEST(StreamArtifact, LeavesNothingWhenNotCommitted) {
    Day day;
    staging::ArtifactWriter writer(*day.work, day.settings(), staging::DigestKey{});
    {
        auto artifact = writer.begin_stream("db/postgresql/shop.pgdump.age");
        write_text(artifact->sink(), std::string(1 << 20, 'x'));
    } // a dump found truncated: dropped
    for (const auto& entry : fs::recursive_directory_iterator(day.work->path())) {
        EXPECT_FALSE(entry.is_regular_file()) << entry.path();
    }
    EXPECT_FALSE(writer.sums().contains("db/postgresql/shop.pgdump.age"));
    EXPECT_THROW(writer.begin_stream("../escape.age"), staging::StagingError);
}

TEST(StreamArtifact, IsReusedTheNextDayWhenItsFingerprintIsUnchanged) {
    Day day;
    staging::ArtifactWriter first(*day.work, day.settings(), staging::DigestKey{});
    auto artifact = first.begin_stream("db/sqlite/app.sqlite.zst.age");
    write_text(artifact->sink(), "SQLite format 3");
    report::ArtifactRecord yesterday = artifact->commit(first.keyed_digest("rows: 3"));
    fs::path yesterday_path = day.work->path() / yesterday.name;

    TempDir next{"offstage-stream-next"};
    fs::create_directories(next / "srv/offstage");
    staging::StagingTree tree(next / "srv/offstage", next / "work");
    staging::WorkDir today = tree.begin("2026-11-23");
    staging::ArtifactWriter second(
        today, day.settings(), staging::DigestKey{},
        [&](const std::string& name) -> std::optional<staging::PreviousArtifact> {
            if (name != yesterday.name) {
                return std::nullopt;
            }
            return staging::PreviousArtifact{yesterday_path, yesterday.bytes, yesterday.sha256,
                                             *yesterday.plaintext_digest};
        });
    EXPECT_FALSE(second.reuse(yesterday.name, second.keyed_digest("rows: 4")));
    auto reused = second.reuse(yesterday.name, second.keyed_digest("rows: 3"));
    ASSERT_TRUE(reused);
    EXPECT_TRUE(reused->reused);
    struct stat a {
    }, b{};
    ASSERT_EQ(::stat(yesterday_path.c_str(), &a), 0);
    ASSERT_EQ(::stat((today.path() / yesterday.name).c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
}
