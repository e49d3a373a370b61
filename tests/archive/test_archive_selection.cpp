// ArchiveExtractor's path selection (what `offstage restore PATH...` uses) on tars built here:
// only selected entries are written, a path is a whole component prefix, unmatched paths are
// told, and a selected hardlink whose target was not selected gets the target's data in a second
// pass under its own name.
#include "platform/fd_stream.hpp"
#include "platform/unique_fd.hpp"
#include "stager/archive/archive_extractor.hpp"
#include "tests/support/temp_dir.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

namespace offstage::test {
namespace {

namespace fs = std::filesystem;

// A pax tar of regular files, directories and hardlinks.
class SmallTar {
public:
    explicit SmallTar(const fs::path& output)
        : writer_(archive_write_new()) {
        archive_write_set_format_pax(writer_);
        if (archive_write_open_filename(writer_, output.c_str()) != ARCHIVE_OK) {
            throw std::runtime_error("open " + output.string());
        }
    }
    ~SmallTar() { archive_write_free(writer_); }
    SmallTar(const SmallTar&) = delete;
    SmallTar& operator=(const SmallTar&) = delete;

    void file(const std::string& name, const std::string& content, mode_t mode = 0640) {
        add(name, AE_IFREG, mode, content, {});
    }
    void directory(const std::string& name) { add(name, AE_IFDIR, 0755, {}, {}); }
    void hardlink(const std::string& name, const std::string& target) {
        add(name, AE_IFREG, 0644, {}, target);
    }
    void close() { ASSERT_EQ(archive_write_close(writer_), ARCHIVE_OK); }

private:
    void add(const std::string& name, unsigned type, mode_t mode, const std::string& content,
             const std::string& hardlink) {
        archive_entry* entry = archive_entry_new();
        archive_entry_set_pathname(entry, name.c_str());
        archive_entry_set_filetype(entry, type);
        archive_entry_set_perm(entry, mode);
        archive_entry_set_mtime(entry, 1600000000, 0);
        archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
        if (!hardlink.empty()) {
            archive_entry_set_hardlink(entry, hardlink.c_str());
        }
        ASSERT_EQ(archive_write_header(writer_, entry), ARCHIVE_OK) << name;
        archive_entry_free(entry);
        if (!content.empty()) {
            ASSERT_EQ(archive_write_data(writer_, content.data(), content.size()),
                      static_cast<la_ssize_t>(content.size()));
        }
    }

    ::archive* writer_;
};

std::vector<std::string> listing(const fs::path& dir) {
    std::vector<std::string> names;
    if (!fs::exists(dir)) {
        return names;
    }
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        names.push_back(fs::relative(entry.path(), dir).string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

class ExtractSelection : public ::testing::Test {
protected:
    TempDir dir{"offstage-selection"};
    fs::path tar = dir / "in.tar";
    fs::path target = dir / "target";

    // One pass over the tar; `prepare` selects or sets link targets.
    template <typename Prepare>
    archive::ArchiveExtractor extract(Prepare prepare) {
        platform::UniqueFd fd(::open(tar.c_str(), O_RDONLY | O_CLOEXEC));
        EXPECT_TRUE(fd);
        source_ = std::make_unique<platform::FdSource>(fd.release(), tar.string());
        archive::ArchiveExtractor extractor(*source_, "in.tar", ::geteuid() == 0);
        prepare(extractor);
        extractor.extract_to(target);
        return extractor;
    }

    std::unique_ptr<platform::FdSource> source_;
};

TEST_F(ExtractSelection, WritesOnlyTheSelectedEntriesAndWhatIsBelowThem) {
    {
        SmallTar out(tar);
        out.directory("a");
        out.file("a/x", "x");
        out.file("a/y", "y");
        out.file("ab/w", "not below a: a prefix of a name is not a path"); // sorts after a/
        out.directory("b");
        out.file("b/z", "z");
        out.file("c", "c");
        out.close();
    }
    auto extractor = extract([](archive::ArchiveExtractor& e) {
        e.select(archive::EntrySelection({"/a/x", "./b/", "c"}));
    });
    EXPECT_EQ(listing(target), (std::vector<std::string>{"a", "a/x", "b", "b/z", "c"}));
    EXPECT_TRUE(extractor.unmatched().empty());
    EXPECT_TRUE(extractor.problems().empty());
    EXPECT_TRUE(extractor.deferred_links().empty());
    EXPECT_EQ(extractor.counts().entries, 4u); // a/x, b, b/z, c
    EXPECT_EQ(extractor.counts().skipped, 3u); // a, a/y, ab/w
}

TEST_F(ExtractSelection, TellsThePathsThatMatchedNothing) {
    {
        SmallTar out(tar);
        out.file("etc/hosts", "hosts");
        out.close();
    }
    auto extractor = extract([](archive::ArchiveExtractor& e) {
        e.select(archive::EntrySelection({"etc/hosts", "/etc/nope", "etc/hosts/x"}));
    });
    EXPECT_EQ(extractor.unmatched(), (std::vector<std::string>{"/etc/nope", "etc/hosts/x"}));
    EXPECT_EQ(listing(target), (std::vector<std::string>{"etc", "etc/hosts"}));
}

TEST_F(ExtractSelection, ASelectedHardlinkToASelectedTargetIsLinked) {
    {
        SmallTar out(tar);
        out.file("d/t", "data");
        out.hardlink("d/l", "d/t");
        out.close();
    }
    auto extractor =
        extract([](archive::ArchiveExtractor& e) { e.select(archive::EntrySelection({"d"})); });
    EXPECT_TRUE(extractor.deferred_links().empty());
    struct stat t {
    }, l{};
    ASSERT_EQ(::lstat((target / "d/t").c_str(), &t), 0);
    ASSERT_EQ(::lstat((target / "d/l").c_str(), &l), 0);
    EXPECT_EQ(t.st_ino, l.st_ino);
}

TEST_F(ExtractSelection, AHardlinkWithoutItsTargetGetsTheTargetsDataInASecondPass) {
    {
        SmallTar out(tar);
        out.file("t", "the data", 0604);
        out.file("other", "not selected");
        out.hardlink("keep/l1", "t");
        out.hardlink("keep/l2", "t");
        out.hardlink("elsewhere/l3", "t");
        out.close();
    }
    auto first =
        extract([](archive::ArchiveExtractor& e) { e.select(archive::EntrySelection({"keep"})); });
    // Nothing of the links is written by the first pass: their data went by unwritten.
    EXPECT_EQ(listing(target), std::vector<std::string>{});
    ASSERT_EQ(first.deferred_links().size(), 1u);
    EXPECT_EQ(first.deferred_links()[0].target, "t");
    ASSERT_EQ(first.deferred_links()[0].links.size(), 2u);
    EXPECT_TRUE(first.unmatched().empty());

    auto second = extract(
        [&](archive::ArchiveExtractor& e) { e.restore_link_targets(first.deferred_links()); });
    EXPECT_TRUE(second.problems().empty());
    EXPECT_EQ(listing(target), (std::vector<std::string>{"keep", "keep/l1", "keep/l2"}));
    struct stat l1 {
    }, l2{};
    ASSERT_EQ(::lstat((target / "keep/l1").c_str(), &l1), 0);
    ASSERT_EQ(::lstat((target / "keep/l2").c_str(), &l2), 0);
    EXPECT_EQ(l1.st_ino, l2.st_ino);
    EXPECT_EQ(l1.st_mode & 07777, 0604u);
    EXPECT_EQ(l1.st_size, 8);
    EXPECT_EQ(second.counts().entries, 2u);
}

TEST_F(ExtractSelection, AHardlinkTargetMissingFromTheArchiveIsAProblemOfTheLink) {
    {
        SmallTar out(tar);
        out.hardlink("l", "ghost");
        out.close();
    }
    auto first =
        extract([](archive::ArchiveExtractor& e) { e.select(archive::EntrySelection({"l"})); });
    ASSERT_EQ(first.deferred_links().size(), 1u);
    auto second = extract(
        [&](archive::ArchiveExtractor& e) { e.restore_link_targets(first.deferred_links()); });
    ASSERT_EQ(second.problems().size(), 1u);
    EXPECT_EQ(second.problems()[0].path, "l");
    EXPECT_NE(second.problems()[0].what.find("not in the archive"), std::string::npos);
    EXPECT_EQ(listing(target), std::vector<std::string>{});
}

TEST_F(ExtractSelection, APathThatCannotNameAnEntryIsRefused) {
    EXPECT_THROW(archive::EntrySelection({"../etc"}), std::invalid_argument);
    EXPECT_THROW(archive::EntrySelection({"etc/../../x"}), std::invalid_argument);
    EXPECT_THROW(archive::EntrySelection({""}), std::invalid_argument);
    EXPECT_NO_THROW(archive::EntrySelection({"/"}));
}

} // namespace
} // namespace offstage::test
