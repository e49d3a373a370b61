// The volume dump format reader (sources/afs/vos_dump_reader) on real dumps recorded from an
// OpenAFS 1.8 cell: it reads them to their end marker, and refuses every truncation, trailing
// bytes and a damaged tag with the offset where the dump went wrong. The end-marker check of the
// run (DumpEndMarker) on the same bytes, in chunks of every size.
#include "stager/sources/afs/vos_dump_reader.hpp"
#include "tests/afs/afs_test_data.hpp"

#include <cstring>
#include <gtest/gtest.h>

using namespace offstage::sources::afs;

namespace {

// Bytes handed out `step` at a time, as a pipe or a decryptor would.
class StringSource : public offstage::platform::ByteSource {
public:
    explicit StringSource(std::string bytes, std::size_t step = 4096)
        : bytes_(std::move(bytes))
        , step_(step) {}
    std::size_t read(std::span<std::byte> buffer) override {
        std::size_t n = std::min({buffer.size(), step_, bytes_.size() - at_});
        std::memcpy(buffer.data(), bytes_.data() + at_, n);
        at_ += n;
        return n;
    }

private:
    std::string bytes_;
    std::size_t step_;
    std::size_t at_ = 0;
};

VosDumpSummary read(const std::string& bytes, std::size_t step = 4096) {
    StringSource source(bytes, step);
    return read_vos_dump(source);
}

} // namespace

TEST(VosDumpReader, ReadsRecordedDumpsToTheirEnd) {
    std::string bob = offstage::test::bob_dump();
    ASSERT_EQ(bob.size(), 2503u);
    for (std::size_t step : {1u, 7u, 4096u}) {
        VosDumpSummary summary = read(bob, step);
        EXPECT_EQ(summary.volume_id, 536870915u);
        EXPECT_EQ(summary.volume_name, "user.bob");
        EXPECT_EQ(summary.bytes, bob.size());
        EXPECT_GE(summary.vnodes, 1u);
        EXPECT_GT(summary.data_bytes, 0u);
        EXPECT_EQ(summary.update_date, 1795313504u);
        EXPECT_EQ(summary.max_quota, 5000u);
    }
    std::string hcoop = offstage::test::hcoop_dump();
    ASSERT_FALSE(hcoop.empty());
    VosDumpSummary summary = read(hcoop);
    EXPECT_EQ(summary.volume_name, "web.hcoop.backup");
    EXPECT_EQ(summary.volume_id, 536870920u);
}

TEST(VosDumpReader, RefusesEveryTruncationWithItsOffset) {
    std::string bob = offstage::test::bob_dump();
    for (std::size_t length = 0; length < bob.size(); ++length) {
        try {
            read(bob.substr(0, length));
            ADD_FAILURE() << "a dump cut at byte " << length << " was read as whole";
        } catch (const VosDumpError& error) {
            EXPECT_LE(error.offset(), length) << error.what();
        }
    }
}

TEST(VosDumpReader, RefusesTrailingBytesAndDamagedTags) {
    std::string bob = offstage::test::bob_dump();
    EXPECT_THROW(read(bob + "x"), VosDumpError);
    // The volume header's first field tag ('i', at byte 36) made unknown.
    std::string damaged = bob;
    ASSERT_EQ(damaged[36], 'i');
    damaged[36] = '#';
    try {
        read(damaged);
        ADD_FAILURE() << "a damaged tag was accepted";
    } catch (const VosDumpError& error) {
        EXPECT_EQ(error.offset(), 36u) << error.what();
        EXPECT_NE(std::string(error.what()).find("unknown field tag '#'"), std::string::npos)
            << error.what();
    }
    // A wrong end magic, though the dump's length is right.
    std::string end = bob;
    end[end.size() - 1] = 0x6F;
    EXPECT_THROW(read(end), VosDumpError);
    // Not a dump at all.
    EXPECT_THROW(read("hello, world\n"), VosDumpError);
    EXPECT_THROW(read(""), VosDumpError);
}

TEST(VosDumpReader, RefusesUnboundedFields) {
    // A dump header whose name never ends: refused after 1 KiB, not read into memory forever.
    std::string header("\x01\xb3\xa1\x13\x22\x00\x00\x00\x01n", 10);
    std::string endless = header + std::string(1 << 20, 'a');
    try {
        read(endless);
        ADD_FAILURE();
    } catch (const VosDumpError& error) {
        EXPECT_LT(error.offset(), 2048u) << error.what();
    }
}

TEST(DumpEndMarker, SeesTheEndMarkerWhateverTheChunks) {
    std::string bob = offstage::test::bob_dump();
    for (std::size_t step : {1u, 2u, 3u, 5u, 1000u, 4096u}) {
        DumpEndMarker whole, cut;
        for (std::size_t at = 0; at < bob.size(); at += step) {
            whole.update(std::string_view(bob).substr(at, step));
        }
        std::string truncated = bob.substr(0, bob.size() - 1);
        for (std::size_t at = 0; at < truncated.size(); at += step) {
            cut.update(std::string_view(truncated).substr(at, step));
        }
        EXPECT_TRUE(whole.complete()) << step;
        EXPECT_EQ(whole.bytes(), bob.size());
        EXPECT_FALSE(cut.complete()) << step;
    }
    DumpEndMarker empty;
    EXPECT_FALSE(empty.complete());
}
