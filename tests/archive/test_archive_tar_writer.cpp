// The archive library without age: TarWriter -> (ZstdCompressor -> PipelinedSink) -> file, then
// ArchiveExtractor back, on a real tree; files changed while read; hostile archives refused.
#include "platform/fd_stream.hpp"
#include "platform/unique_fd.hpp"
#include "stager/archive/archive_extractor.hpp"
#include "stager/archive/atomic_output_file.hpp"
#include "stager/archive/nul_separated_list.hpp"
#include "stager/archive/pipelined_sink.hpp"
#include "stager/archive/tar_writer.hpp"
#include "stager/archive/zstd_compressor.hpp"
#include "tests/archive/sample_tree.hpp"
#include "tests/support/as_nobody.hpp"
#include "tests/support/run_command.hpp"
#include "tests/support/temp_dir.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdexcept>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::archive {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

platform::UniqueFd open_or_die(const fs::path& path, int flags) {
    platform::UniqueFd fd(::open(path.c_str(), flags | O_CLOEXEC, 0600));
    if (!fd) {
        throw std::runtime_error("open " + path.string() + ": " + std::strerror(errno));
    }
    return fd;
}

// Archives `paths` into `output` (zstd or plain), returns the writer's problems.
std::vector<FileProblem> write_archive(const fs::path& output,
                                       const std::vector<std::string>& paths, bool zstd,
                                       TarWriter::BeforeReadHook hook = {}) {
    AtomicOutputFile file(output);
    PipelinedSink pipeline(file, 64 << 10, 3);
    std::unique_ptr<ZstdCompressor> compressor;
    platform::ByteSink* tar_output = &pipeline;
    if (zstd) {
        compressor = std::make_unique<ZstdCompressor>(ZstdSettings{3, 2}, pipeline);
        tar_output = compressor.get();
    }
    TarWriter writer(*tar_output);
    writer.set_before_read_hook(std::move(hook));
    for (const std::string& path : paths) {
        writer.add(path);
    }
    writer.finish();
    return writer.problems();
}

std::vector<FileProblem> extract_archive(const fs::path& archive_file, const fs::path& target) {
    platform::UniqueFd fd = open_or_die(archive_file, O_RDONLY);
    platform::FdSource source(fd.get(), archive_file.string());
    ArchiveExtractor extractor(source, archive_file.string(), ::geteuid() == 0);
    extractor.extract_to(target);
    return extractor.problems();
}

std::string describe(const std::vector<FileProblem>& problems) {
    std::string text;
    for (const auto& problem : problems) {
        text += problem.path + ": " + problem.what + "\n";
    }
    return text;
}

class TarWriterRoundTrip : public ::testing::TestWithParam<bool> {};

TEST_P(TarWriterRoundTrip, KeepsEveryKindOfEntry) {
    TempDir temp("offstage-archive");
    test::SampleTree tree(temp.path());
    const fs::path output = temp / (GetParam() ? "out.tar.zst" : "out.tar");
    std::vector<FileProblem> problems = write_archive(output, tree.paths(), GetParam());
    EXPECT_TRUE(problems.empty()) << describe(problems);
    ASSERT_TRUE(fs::exists(output));
    // Far smaller than the 64 MiB sparse file: its holes are not stored.
    EXPECT_LT(fs::file_size(output), 1u << 20);
    problems = extract_archive(output, temp / "restored");
    EXPECT_TRUE(problems.empty()) << describe(problems);
    tree.expect_restored_at(temp / "restored", ::geteuid() == 0);
}

INSTANTIATE_TEST_SUITE_P(Compression, TarWriterRoundTrip, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "zstd" : "none"; });

TEST(TarWriter, StoresNamesAsPaxWithBinaryCharsetAndSchilyXattrs) {
    TempDir temp("offstage-archive");
    test::SampleTree tree(temp.path());
    const fs::path output = temp / "out.tar";
    write_archive(output, tree.paths(), false);
    std::string bytes = test::read_file(output);
    EXPECT_NE(bytes.find("hdrcharset=BINARY"), std::string::npos);
    EXPECT_NE(bytes.find("SCHILY.xattr.user.comment="), std::string::npos);
    EXPECT_EQ(bytes.find("LIBARCHIVE.xattr."), std::string::npos) << "xattrs stored twice";
    EXPECT_NE(bytes.find("SCHILY.acl.access="), std::string::npos);
    EXPECT_NE(bytes.find("SCHILY.acl.default="), std::string::npos);
    EXPECT_NE(bytes.find("GNU.sparse.major=1"), std::string::npos);
    EXPECT_EQ(bytes.find(temp.path().string() + "/tree"), std::string::npos)
        << "names are stored without their leading '/'";
    EXPECT_NE(bytes.find(temp.path().relative_path().string() + "/tree"), std::string::npos);
}

// Each case changes the file at the moment its header is written and its content is not yet
// read: no timing, no sleeps. Uncompressed, file data is read straight into the pipeline's
// memory (PipelinedSink::reserve); compressed, through TarWriter's own buffer.
class TarWriterChanges : public ::testing::TestWithParam<bool> {};

TEST_P(TarWriterChanges, ReportsFilesChangedWhileReadAndStaysValid) {
    const bool zstd = GetParam();
    TempDir temp("offstage-archive");
    const fs::path dir = temp / "in";
    const std::string original(300000, 'o');
    for (const char* name : {"shrinks", "grows", "deleted", "rewritten", "steady"}) {
        test::write_file(dir / name, original);
        timespec old_times[2] = {{1500000000, 0}, {1500000000, 0}};
        ::utimensat(AT_FDCWD, (dir / name).c_str(), old_times, 0);
    }
    std::vector<std::string> paths = {(dir / "vanished").string(),  (dir / "shrinks").string(),
                                      (dir / "grows").string(),     (dir / "deleted").string(),
                                      (dir / "rewritten").string(), (dir / "steady").string()};
    auto hook = [&](const std::string& path) {
        fs::path p(path);
        if (p.filename() == "shrinks") {
            fs::resize_file(p, 1000);
        } else if (p.filename() == "grows") {
            test::write_file(p, original + std::string(5000, 'g'));
        } else if (p.filename() == "deleted") {
            fs::remove(p);
        } else if (p.filename() == "rewritten") {
            platform::UniqueFd fd = open_or_die(p, O_WRONLY);
            ASSERT_EQ(::pwrite(fd.get(), "XYZ", 3, 10), 3);
        }
    };
    const fs::path output = temp / (zstd ? "out.tar.zst" : "out.tar");
    std::vector<FileProblem> problems = write_archive(output, paths, zstd, hook);
    ASSERT_EQ(problems.size(), 5u) << describe(problems);
    EXPECT_EQ(problems[0].path, paths[0]);
    EXPECT_NE(problems[0].what.find("vanished"), std::string::npos) << problems[0].what;
    EXPECT_EQ(problems[1].path, paths[1]);
    EXPECT_NE(problems[1].what.find("shrank from 300000 to 1000"), std::string::npos)
        << problems[1].what;
    EXPECT_EQ(problems[2].path, paths[2]);
    EXPECT_NE(problems[2].what.find("grew"), std::string::npos) << problems[2].what;
    EXPECT_EQ(problems[3].path, paths[3]);
    EXPECT_NE(problems[3].what.find("deleted while read"), std::string::npos) << problems[3].what;
    EXPECT_EQ(problems[4].path, paths[4]);
    EXPECT_NE(problems[4].what.find("changed while read"), std::string::npos) << problems[4].what;

    // The archive is valid: every entry has the size its header promised, and the entry
    // after all the trouble is intact.
    const fs::path restored = temp / "restored";
    EXPECT_TRUE(extract_archive(output, restored).empty());
    const fs::path copy = restored / dir.relative_path();
    EXPECT_FALSE(fs::exists(copy / "vanished"));
    EXPECT_EQ(test::read_file(copy / "shrinks"),
              std::string(1000, 'o') + std::string(299000, '\0'));
    EXPECT_EQ(test::read_file(copy / "grows"), original);
    EXPECT_EQ(test::read_file(copy / "deleted"), original);
    EXPECT_EQ(test::read_file(copy / "steady"), original);
    // GNU tar agrees that the stream is a valid archive.
    test::CommandResult listing = test::run_command(
        {"sh", "-c", "zstd -dcf \"$0\" | tar -tvf - >/dev/null", output.string()});
    EXPECT_EQ(listing.exit_status, 0) << listing.err;
}

INSTANTIATE_TEST_SUITE_P(Compression, TarWriterChanges, ::testing::Values(false, true),
                         [](const auto& param_info) { return param_info.param ? "zstd" : "none"; });

TEST(TarWriter, ReportsUnreadableFiles) {
    TempDir temp("offstage-archive");
    fs::path secret = test::write_file(temp / "secret", "x", fs::perms::none);
    auto archive_the_secret = [&] {
        std::vector<FileProblem> problems =
            write_archive(temp / "out.tar", {secret.string()}, false);
        if (problems.size() != 1 || problems[0].path != secret.string() ||
            problems[0].what.find("unreadable: open: Permission denied") == std::string::npos) {
            std::fprintf(stderr, "problems: %s\n", describe(problems).c_str());
            return 1;
        }
        return 0;
    };
    if (::geteuid() != 0) {
        EXPECT_EQ(archive_the_secret(), 0);
        return;
    }
    // nobody must reach the file and write the archive beside it.
    fs::permissions(temp.path(), fs::perms::all | fs::perms::sticky_bit);
    EXPECT_EQ(test::run_as_nobody(archive_the_secret), 0)
        << "1: not reported as asked (see stderr); 3: could not drop root; 4: threw";
}

TEST(TarWriter, DoesNotFollowASymlinkSwappedInForAFile) {
    TempDir temp("offstage-archive");
    fs::path target = test::write_file(temp / "target", "must not be read through a link");
    fs::create_symlink(target, temp / "swapped");
    const fs::path output = temp / "out.tar";
    EXPECT_TRUE(write_archive(output, {(temp / "swapped").string()}, false).empty());
    EXPECT_EQ(test::read_file(output).find("must not be read"), std::string::npos);
}

// Builds an uncompressed tar holding the given (name, symlink target or "") entries.
void write_hostile_tar(const fs::path& output,
                       const std::vector<std::pair<std::string, std::string>>& entries) {
    ::archive* writer = archive_write_new();
    archive_write_set_format_pax(writer);
    ASSERT_EQ(archive_write_open_filename(writer, output.c_str()), ARCHIVE_OK);
    for (const auto& [name, link] : entries) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        if (link.empty()) {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_perm(entry, 0644);
            archive_entry_set_size(entry, 4);
        } else {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_perm(entry, 0777);
            archive_entry_set_symlink(entry, link.c_str());
        }
        ASSERT_EQ(archive_write_header(writer, entry), ARCHIVE_OK);
        if (link.empty()) {
            archive_write_data(writer, "evil", 4);
        }
        archive_entry_free(entry);
    }
    archive_write_close(writer);
    archive_write_free(writer);
}

TEST(ArchiveExtractor, RefusesDotDotAndAbsoluteEntries) {
    TempDir temp("offstage-archive");
    const fs::path target = temp / "a" / "target";
    const fs::path absolute = temp / "absolute-victim";
    for (const std::string& name :
         {std::string("../x"), std::string("ok/../../x"), absolute.string()}) {
        SCOPED_TRACE(name);
        const fs::path tar = temp / "hostile.tar";
        write_hostile_tar(tar, {{"fine", ""}, {name, ""}});
        try {
            extract_archive(tar, target);
            ADD_FAILURE() << "extraction of " << name << " was not refused";
        } catch (const UnsafeEntryError& error) {
            EXPECT_NE(std::string(error.what()).find(name), std::string::npos) << error.what();
        }
        EXPECT_TRUE(fs::exists(target / "fine")) << "entries before the hostile one are there";
        EXPECT_FALSE(fs::exists(temp / "a" / "x"));
        EXPECT_FALSE(fs::exists(temp / "x"));
        EXPECT_FALSE(fs::exists(absolute));
    }
}

TEST(ArchiveExtractor, RefusesToExtractThroughASymlink) {
    TempDir temp("offstage-archive");
    const fs::path outside = temp / "outside";
    fs::create_directories(outside);
    const fs::path tar = temp / "hostile.tar";
    write_hostile_tar(tar, {{"escape", outside.string()}, {"escape/planted", ""}});
    std::vector<FileProblem> problems = extract_archive(tar, temp / "target");
    EXPECT_FALSE(fs::exists(outside / "planted"));
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].path, "escape/planted");
}

TEST(NulSeparatedList, YieldsRawPathsAndSkipsEmptyItems) {
    TempDir temp("offstage-archive");
    std::string list =
        std::string("/a\0\0/b c\n\0", 10) + "/caf\xe9" + std::string(1, '\0') + "/last-without-nul";
    fs::path file = test::write_file(temp / "list", list);
    platform::UniqueFd fd = open_or_die(file, O_RDONLY);
    platform::FdSource source(fd.get(), file.string());
    NulSeparatedList reader(source);
    std::vector<std::string> items;
    while (auto item = reader.next()) {
        items.push_back(*item);
    }
    EXPECT_EQ(items, (std::vector<std::string>{"/a", "/b c\n", "/caf\xe9", "/last-without-nul"}));
}

class FailingSink : public platform::ByteSink {
public:
    void write(std::span<const std::byte>) override {
        throw std::runtime_error("write /full/disk: No space left on device");
    }
    void finish() override {}
};

TEST(PipelinedSink, PassesTheConsumersErrorToTheProducer) {
    FailingSink failing;
    PipelinedSink pipeline(failing, 16, 2);
    std::vector<std::byte> data(1000);
    try {
        for (int i = 0; i < 100; ++i) {
            pipeline.write(data);
        }
        pipeline.finish();
        ADD_FAILURE() << "no error";
    } catch (const std::runtime_error& error) {
        EXPECT_STREQ(error.what(), "write /full/disk: No space left on device");
    }
}

// Collects what reaches it, for checking what a PipelinedSink delivered.
class CollectingSink : public platform::ByteSink {
public:
    void write(std::span<const std::byte> bytes) override {
        data.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    void finish() override { finished = true; }
    std::string data;
    bool finished = false;
};

std::span<const std::byte> bytes_of(std::string_view text) {
    return std::as_bytes(std::span(text.data(), text.size()));
}

TEST(PipelinedSink, BytesFilledInPlaceArriveInOrderWithTheOthers) {
    CollectingSink collected;
    PipelinedSink pipeline(collected, 8, 2);
    pipeline.write(bytes_of("head:"));
    std::span<std::byte> space = pipeline.reserve(3);
    ASSERT_EQ(space.size(), 3u) << "the rest of the 8-byte batch";
    std::memcpy(space.data(), "abc", 3);
    pipeline.write(space.first(3));
    space = pipeline.reserve(100);
    ASSERT_EQ(space.size(), 8u) << "a whole new batch";
    std::memcpy(space.data(), "defghijk", 8);
    pipeline.write(space.first(2)); // filled 8, passes on 2: the rest is overwritten below
    pipeline.write(bytes_of(":tail"));
    space = pipeline.reserve(100);
    EXPECT_EQ(space.size(), 8u) << "not the 1-byte sliver left in the batch";
    pipeline.write({});
    pipeline.finish();
    EXPECT_EQ(collected.data, "head:abcde:tail");
    EXPECT_TRUE(collected.finished);
}

TEST(PipelinedSink, AnEmptyWriteGivesReservedSpaceBack) {
    CollectingSink collected;
    PipelinedSink pipeline(collected, 64, 2);
    std::span<std::byte> space = pipeline.reserve(10);
    std::memcpy(space.data(), "unused....", 10);
    pipeline.write({}); // nothing was read after all
    pipeline.write(bytes_of("next"));
    pipeline.finish();
    EXPECT_EQ(collected.data, "next");
}

TEST(PipelinedSink, RefusesOtherBytesOntoReservedSpace) {
    CollectingSink collected;
    PipelinedSink pipeline(collected, 64, 2);
    std::span<std::byte> space = pipeline.reserve(10);
    std::memcpy(space.data(), "filled....", 10);
    EXPECT_THROW(pipeline.write(bytes_of("intruder")), std::logic_error);
}

TEST(AtomicOutputFile, LeavesNothingBehindWithoutFinish) {
    TempDir temp("offstage-archive");
    {
        AtomicOutputFile file(temp / "artifact");
        std::vector<std::byte> data(100);
        file.write(data);
        EXPECT_TRUE(fs::exists(file.temporary_path()));
        EXPECT_FALSE(fs::exists(temp / "artifact"));
    }
    EXPECT_TRUE(fs::is_empty(temp.path()));
    {
        AtomicOutputFile file(temp / "artifact");
        file.write(std::vector<std::byte>(100));
        file.finish();
    }
    EXPECT_EQ(fs::file_size(temp / "artifact"), 100u);
    EXPECT_EQ(std::distance(fs::directory_iterator(temp.path()), fs::directory_iterator()), 1);
}

} // namespace
} // namespace offstage::archive
