#include "platform/printable_name.hpp"
#include "stager/archive/tar_writer.hpp"
#include "stager/archive/zstd_compressor.hpp"
#include "stager/archive/zstd_decompressor.hpp"
#include "stager/restore/artifact_check.hpp"
#include "stager/restore/day_directory.hpp"
#include "stager/restore/day_verifier.hpp"
#include "stager/restore/tar_reader.hpp"
#include "tests/age/memory_streams.hpp"
#include "tests/support/temp_dir.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace offstage::restore;
using offstage::archive::ZstdDecompressor;
using offstage::archive::ZstdError;
using offstage::test::random_string;
using offstage::test::StringSink;
using offstage::test::StringSource;
using offstage::test::TempDir;
using offstage::test::write_file;

namespace {

std::string compressed(const std::string& plain) {
    StringSink sink;
    offstage::archive::ZstdCompressor compressor({3, 0}, sink);
    compressor.write(std::as_bytes(std::span(plain)));
    compressor.finish();
    return sink.data;
}

std::string decompressed(const std::string& data, std::size_t step = SIZE_MAX) {
    StringSource source(data, step);
    ZstdDecompressor decompressor(source, "x.zst.age");
    std::string out;
    std::vector<std::byte> buffer(4096);
    while (std::size_t got = decompressor.read(buffer)) {
        out.append(reinterpret_cast<const char*>(buffer.data()), got);
    }
    return out;
}

std::string zstd_error(const std::string& data) {
    try {
        decompressed(data);
    } catch (const ZstdError& error) {
        return error.what();
    }
    return "no error";
}

} // namespace

TEST(ZstdDecompressor, ReadsFramesWholeAndRefusesTruncationCorruptionAndEmptiness) {
    std::string plain = random_string(300000) + std::string(200000, 'a');
    std::string frame = compressed(plain);
    EXPECT_EQ(decompressed(frame), plain);
    EXPECT_EQ(decompressed(frame, 7), plain); // input in small pieces
    EXPECT_EQ(decompressed(frame + compressed("second")), plain + "second");
    // Cut anywhere inside the frame, even after all the content could have been produced.
    EXPECT_EQ(zstd_error(frame.substr(0, frame.size() - 1)),
              "x.zst.age: zstd: the data ends inside a frame (truncated)");
    EXPECT_EQ(zstd_error(frame.substr(0, frame.size() / 2)),
              "x.zst.age: zstd: the data ends inside a frame (truncated)");
    EXPECT_EQ(zstd_error(""), "x.zst.age: zstd: no frame at all (empty stream)");
    std::string flipped = frame;
    flipped[flipped.size() / 2] ^= 0x20;
    EXPECT_TRUE(zstd_error(flipped).starts_with("x.zst.age: zstd: ")) << zstd_error(flipped);
    EXPECT_NE(zstd_error(flipped), "no error");
    EXPECT_NE(zstd_error(frame + "junk"), "no error");
}

TEST(TarReader, CountsEntriesAndRefusesWhatIsNotTar) {
    TempDir dir;
    write_file(dir / "a", "alpha");
    write_file(dir / "b", random_string(100000));
    StringSink sink;
    {
        offstage::archive::TarWriter writer(sink);
        writer.add((dir / "a").string());
        writer.add((dir / "b").string());
        writer.add(dir.path().string());
        writer.finish();
    }
    StringSource source(sink.data);
    TarCounts counts = read_tar_to_end(source, "t.tar.age");
    EXPECT_EQ(counts.entries, 3u);
    EXPECT_EQ(counts.data_bytes, 100005u);
    StringSource garbage(random_string(20000));
    EXPECT_THROW(read_tar_to_end(garbage, "t.tar.age"), TarError);
}

TEST(Layers, TheNameAnnouncesTheLayersByItsLastExtensions) {
    auto layers = [](std::string_view name) {
        ArtifactLayers l = layers_of(name);
        return std::string(l.tar ? "tar " : "") + (l.zstd ? "zstd " : "") + (l.age ? "age" : "");
    };
    EXPECT_EQ(layers("files.tar.zst.age"), "tar zstd age");
    EXPECT_EQ(layers("db/mariadb/x.sql.zst.age"), "zstd age");
    EXPECT_EQ(layers("spool-x.tar.tar.age"), "tar age");
    EXPECT_EQ(layers("spool-x.tar.zst.zst.age"), "zstd age");
    EXPECT_EQ(layers("report.json"), "");
}

TEST(Printable, NoControlByteReachesTheTerminal) {
    // verify and restore print names through platform::printable_name, like every command.
    EXPECT_EQ(offstage::platform::printable_name("files.tar.zst.age"), "files.tar.zst.age");
    EXPECT_EQ(offstage::platform::printable_name("evil\x1b]0;owned\x07\n\r\x7f\xff\\"),
              "evil\\033]0;owned\\007\\012\\015\\177\\377\\\\");
    EXPECT_EQ(human_bytes(812), "812 B");
    EXPECT_EQ(human_bytes(1234), "1.2 kB");
    EXPECT_EQ(human_bytes(1200000000), "1.2 GB");
    EXPECT_EQ(human_bytes(999999), "1.0 MB");
    EXPECT_EQ(grouped(55978), "55,978");
    EXPECT_EQ(grouped(1234567), "1,234,567");
    EXPECT_EQ(grouped(999), "999");
}

TEST(DayDirectory, OpensOnlyRegularFilesBelowItAndFollowsNoSymlink) {
    TempDir dir;
    fs::path day = dir / "2026-11-22";
    write_file(day / "files.tar.zst.age", "x");
    write_file(day / "db/mariadb/a.sql.zst.age", "y");
    write_file(dir / "outside.age", "outside");
    fs::create_directories(dir / "elsewhere/mariadb");
    write_file(dir / "elsewhere/mariadb/b.sql.zst.age", "z");
    fs::create_symlink(dir / "outside.age", day / "link.age");
    fs::create_directory_symlink(dir / "elsewhere", day / "db2");
    ASSERT_EQ(::mkfifo((day / "fifo.age").c_str(), 0600), 0);
    DayDirectory directory(day);
    using State = DayDirectory::Opened::State;
    EXPECT_EQ(directory.open_file("files.tar.zst.age").state, State::open);
    EXPECT_EQ(directory.open_file("db/mariadb/a.sql.zst.age").state, State::open);
    EXPECT_EQ(directory.open_file("missing.age").state, State::missing);
    auto link = directory.open_file("link.age");
    EXPECT_EQ(link.state, State::refused);
    EXPECT_EQ(link.problem, "a symlink, not a regular file (not followed)");
    auto through = directory.open_file("db2/mariadb/b.sql.zst.age");
    EXPECT_EQ(through.state, State::refused);
    EXPECT_EQ(through.problem, "db2 is a symlink or not a directory (not followed)");
    auto fifo = directory.open_file("fifo.age"); // would block if opened for reading
    EXPECT_EQ(fifo.state, State::refused);
    EXPECT_EQ(fifo.problem, "a fifo, not a regular file");
    EXPECT_EQ(directory.open_file("../outside.age").state, State::refused);
    EXPECT_EQ(directory.open_file("/etc/passwd").state, State::refused);
    EXPECT_EQ(directory.open_file("db//mariadb/a.sql.zst.age").state, State::refused);

    std::vector<std::string> listed;
    for (const auto& entry : directory.list()) {
        listed.push_back(entry.name + " " + entry.kind);
    }
    EXPECT_EQ(listed, (std::vector<std::string>{"db/mariadb/a.sql.zst.age file", "db2 symlink",
                                                "fifo.age fifo", "files.tar.zst.age file",
                                                "link.age symlink"}));
}
