// The parser of `vos listvol -format` and `vos examine -format`, on every recorded vos output of
// tests/afs/data: the -format ones read as the volserver meant them, the column listings are
// refused with the line at fault (offstage never reads columns), and busy or unattachable volumes
// come out by id, never dropped.
#include "stager/sources/afs/vos_listing.hpp"
#include "tests/afs/afs_test_data.hpp"

#include <gtest/gtest.h>

using namespace offstage::sources::afs;
using offstage::test::afs_data;
using offstage::test::read_file;
using offstage::test::vos_output_of;

namespace {

std::string recorded(const std::string& name) {
    return vos_output_of(read_file(afs_data(name)));
}

} // namespace

TEST(VosListing, ReadsTheRecordedFormatListingEntryByEntry) {
    VosListing listing = parse_listvol_format(recorded("vos_listvol_format.txt"));
    EXPECT_EQ(listing.announced, 7u);
    ASSERT_EQ(listing.volumes.size(), 7u);
    struct Expected {
        const char* name;
        std::uint32_t id;
        VolumeType type;
    };
    const Expected expected[] = {
        {"root.afs", 536870912, VolumeType::read_write},
        {"root.afs.backup", 536870914, VolumeType::backup},
        {"root.afs.readonly", 536870913, VolumeType::read_only},
        {"user.bob", 536870915, VolumeType::read_write},
        {"user.bob.backup", 536870917, VolumeType::backup},
        {"web.hcoop", 536870918, VolumeType::read_write},
        {"web.hcoop.backup", 536870920, VolumeType::backup},
    };
    for (std::size_t i = 0; i < 7; ++i) {
        EXPECT_EQ(listing.volumes[i].name, expected[i].name);
        EXPECT_EQ(listing.volumes[i].id, expected[i].id);
        EXPECT_EQ(listing.volumes[i].type, expected[i].type) << expected[i].name;
        EXPECT_EQ(listing.volumes[i].status, VolumeStatus::ok);
        EXPECT_EQ(listing.volumes[i].partition, "/vicepz");
        EXPECT_TRUE(listing.volumes[i].in_use);
    }
    const VosVolume& web = listing.volumes[5];
    EXPECT_EQ(web.update_date, 1795313508);
    EXPECT_EQ(web.backup_id, 536870920u);
    EXPECT_EQ(web.parent_id, 536870918u);
    EXPECT_EQ(web.max_quota, 5000u);
    EXPECT_EQ(web.file_count, 1u);
    EXPECT_EQ(listing.volumes[0].backup_id, 536870914u);
}

TEST(VosListing, ReadsTheRecordedExamineFormat) {
    // vos_examine.txt holds a column examine, then `vos examine root.afs -format`.
    std::string transcript = read_file(afs_data("vos_examine.txt"));
    std::size_t start = transcript.find("$ vos examine root.afs -format\n");
    ASSERT_NE(start, std::string::npos);
    std::string output = vos_output_of(transcript.substr(start));
    VosVolume volume = parse_examine_format(output);
    EXPECT_EQ(volume.name, "root.afs");
    EXPECT_EQ(volume.id, 536870912u);
    EXPECT_EQ(volume.type, VolumeType::read_write);
    EXPECT_EQ(volume.update_date, 1795313504);
    EXPECT_EQ(volume.backup_id, 536870914u);
    EXPECT_EQ(volume.file_count, 1u);
    EXPECT_EQ(volume.max_quota, 0u);
    // The column form before it is refused.
    EXPECT_THROW(parse_examine_format(vos_output_of(transcript.substr(0, start))), VosOutputError);
}

TEST(VosListing, RefusesEveryRecordedColumnOutputNamingTheLine) {
    for (const char* name : {"vos_listvol.txt", "vos_listvol_long.txt", "vos_listvol_extended.txt",
                             "vos_listvol_quiet_fast.txt", "vos_offline.txt", "vos_listvldb.txt",
                             "vos_dump.txt", "vos_restore.txt"}) {
        try {
            parse_listvol_format(recorded(name));
            ADD_FAILURE() << name << " was read as a -format listing";
        } catch (const VosOutputError& error) {
            EXPECT_NE(std::string(error.what()).find("vos output line "), std::string::npos)
                << name << ": " << error.what();
        }
    }
}

TEST(VosListing, KeepsBusyAndUnattachableVolumesById) {
    // What vos 1.8 prints with -format for a volume it cannot attach (vos.c, DisplayFormat2: no
    // name, status BUSY or UNATTACHABLE), and the "****" lines of the other listings.
    std::string text = "Total number of volumes on server 10.254.254.1 partition /vicepz: 4 \n"
                       "BEGIN_OF_ENTRY\nname\t\tuser.x\nid\t\t536870912\nserv\t\t10.254.254.1\t"
                       "10.254.254.1\npart\t\t/vicepz\nstatus\t\tOK\ntype\t\tRW\nupdateDate\t"
                       "1795313504\tSun Nov 22 02:11:44 2026\nEND_OF_ENTRY\n\n"
                       "BEGIN_OF_ENTRY\nid\t\t536870915\nserv\t\t10.254.254.1\t10.254.254.1\n"
                       "part\t\t/vicepz\nstatus\t\tBUSY\nEND_OF_ENTRY\n\n"
                       "BEGIN_OF_ENTRY\nid\t\t536870916\nserv\t\t10.254.254.1\t10.254.254.1\n"
                       "part\t\t/vicepz\nstatus\t\tUNATTACHABLE\nEND_OF_ENTRY\n\n"
                       "**** Volume 536870999 is busy ****\n";
    VosListing listing = parse_listvol_format(text);
    EXPECT_EQ(listing.announced, 4u);
    ASSERT_EQ(listing.volumes.size(), 4u);
    EXPECT_EQ(listing.volumes[1].status, VolumeStatus::busy);
    EXPECT_EQ(listing.volumes[1].id, 536870915u);
    EXPECT_TRUE(listing.volumes[1].name.empty());
    EXPECT_EQ(listing.volumes[2].status, VolumeStatus::unattachable);
    EXPECT_EQ(listing.volumes[3].status, VolumeStatus::busy);
    EXPECT_EQ(listing.volumes[3].id, 536870999u);
}

TEST(VosListing, RefusesBrokenEntries) {
    const std::string header = "Total number of volumes on server s partition /vicepa: 1\n";
    // An entry cut off (vos killed mid-listing).
    EXPECT_THROW(parse_listvol_format(header + "BEGIN_OF_ENTRY\nname\t\tx\nid\t\t1\n"),
                 VosOutputError);
    // An OK entry without a name, an entry without an id.
    EXPECT_THROW(parse_listvol_format(header + "BEGIN_OF_ENTRY\nid\t\t1\nstatus\t\tOK\n"
                                               "END_OF_ENTRY\n"),
                 VosOutputError);
    EXPECT_THROW(parse_listvol_format(header + "BEGIN_OF_ENTRY\nname\t\tx\nEND_OF_ENTRY\n"),
                 VosOutputError);
    // A value that is not a number, an unknown status.
    EXPECT_THROW(parse_listvol_format(header + "BEGIN_OF_ENTRY\nname\t\tx\nid\t\tx1\n"
                                               "END_OF_ENTRY\n"),
                 VosOutputError);
    EXPECT_THROW(parse_listvol_format(header + "BEGIN_OF_ENTRY\nname\t\tx\nid\t\t1\n"
                                               "status\t\tWEIRD\nEND_OF_ENTRY\n"),
                 VosOutputError);
    // A hostile name is quoted in the message, never printed raw.
    try {
        parse_listvol_format("\033[2Jjunk\n");
        ADD_FAILURE();
    } catch (const VosOutputError& error) {
        EXPECT_EQ(std::string(error.what()).find('\033'), std::string::npos) << error.what();
        EXPECT_NE(std::string(error.what()).find("line 1"), std::string::npos) << error.what();
    }
}
