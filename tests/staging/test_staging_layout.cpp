#include "platform/staging_layout.hpp"
#include "stager/staging/artifact_name.hpp"

#include <gtest/gtest.h>

namespace layout = offstage::platform::staging_layout;
using offstage::staging::encode_name_component;
using offstage::staging::is_artifact_name;

TEST(StagingLayout, DayNamesAreRealCalendarDates) {
    EXPECT_TRUE(layout::is_day_name("2026-11-22"));
    EXPECT_TRUE(layout::is_day_name("2024-02-29"));
    EXPECT_TRUE(layout::is_day_name("2000-02-29"));
    EXPECT_FALSE(layout::is_day_name("2100-02-29"));
    EXPECT_FALSE(layout::is_day_name("2026-02-29"));
    EXPECT_FALSE(layout::is_day_name("2026-02-30"));
    EXPECT_FALSE(layout::is_day_name("2026-04-31"));
    EXPECT_FALSE(layout::is_day_name("2026-13-01"));
    EXPECT_FALSE(layout::is_day_name("2026-00-10"));
    EXPECT_FALSE(layout::is_day_name("2026-11-00"));
    EXPECT_FALSE(layout::is_day_name("2026-1-22"));
    EXPECT_FALSE(layout::is_day_name("2026-11-22x"));
    EXPECT_FALSE(layout::is_day_name("2026/11/22"));
    EXPECT_FALSE(layout::is_day_name("+026-11-22"));
    EXPECT_FALSE(layout::is_day_name(".incoming-2026-11-22-abcdef"));
}

TEST(StagingLayout, WorkDirsAreFencedFromTheShell) {
    EXPECT_TRUE(layout::is_fenced_name(".incoming-2026-11-22-abcdef"));
    EXPECT_TRUE(layout::is_fenced_name(".incoming"));
    EXPECT_FALSE(layout::is_fenced_name("2026-11-22"));
    EXPECT_EQ(layout::default_work_root("/srv/offstage"), "/srv/offstage.work");
    EXPECT_EQ(layout::default_work_root("/srv/offstage/"), "/srv/offstage.work");
}

TEST(StagingLayout, ExternalNamesAreEncodedIntoOneSafeComponent) {
    EXPECT_EQ(encode_name_component("mail"), "mail");
    EXPECT_EQ(encode_name_component("Sales DB"), "%53ales%20%44%42");
    EXPECT_EQ(encode_name_component("../etc"), "%2e.%2fetc");
    EXPECT_EQ(encode_name_component(".hidden"), "%2ehidden");
    EXPECT_EQ(encode_name_component("a/b"), "a%2fb");
    EXPECT_EQ(encode_name_component("caf\xc3\xa9"), "caf%c3%a9");
    EXPECT_EQ(encode_name_component("100%"), "100%25");
    // Injective: names that differ stay different.
    EXPECT_NE(encode_name_component("A"), encode_name_component("%41"));
    for (const char* external : {"Sales DB", "../etc", "x\ny", "-rf", "%41"}) {
        std::string name = "db/mariadb/" + encode_name_component(external) + ".sql.zst.age";
        EXPECT_TRUE(is_artifact_name(name)) << name;
    }
}

TEST(StagingLayout, ArtifactNameGrammar) {
    EXPECT_TRUE(is_artifact_name("files.tar.zst.age"));
    EXPECT_TRUE(is_artifact_name("spool-mail.tar.zst.age"));
    EXPECT_TRUE(is_artifact_name("afs/user.bob.vosdump.zst.age"));
    EXPECT_TRUE(is_artifact_name("db/postgresql/sales.dump.zst.age"));
    EXPECT_FALSE(is_artifact_name("a/b/c/d.age"));
    EXPECT_FALSE(is_artifact_name("files.tar.zst"));
    EXPECT_FALSE(is_artifact_name("../files.age"));
    EXPECT_FALSE(is_artifact_name("/files.age"));
    EXPECT_FALSE(is_artifact_name("db//x.age"));
    EXPECT_FALSE(is_artifact_name(".files.age"));
    EXPECT_FALSE(is_artifact_name("Files.age"));
    EXPECT_FALSE(is_artifact_name("a b.age"));
    EXPECT_FALSE(is_artifact_name(std::string(201, 'a') + ".age"));
}
