// A scan by a user who cannot read everything: an unreadable conffile is a problem of the scan,
// like an unreadable directory, and the scan goes on (the conffile's state unknown). CI runs
// as root, so the scans here run as nobody (tests/support/as_nobody.hpp).
#include "stager/selection/backup_selection.hpp"
#include "tests/selection/unreadable_conffile_root.hpp"
#include "tests/support/as_nobody.hpp"
#include "tests/support/temp_dir.hpp"

#include <cerrno>
#include <cstdio>
#include <gtest/gtest.h>

namespace offstage::selection {
namespace {

using test::UnreadableConffileRoot;

TEST(NonRootScan, AnUnreadableConffileIsAProblemAndTheScanGoesOn) {
    UnreadableConffileRoot planted;
    policies::PolicySet no_rules;
    int status = test::run_as_nobody([&]() {
        SelectionInput input;
        input.database.root = planted.root();
        input.database.admindir = planted.admindir();
        BackupSelection selection = BackupSelection::compute(input, no_rules);
        const manifests::Conffile* secret = selection.database().find_conffile("/etc/secret.conf");
        const manifests::Conffile* open = selection.database().find_conffile("/etc/open.conf");
        if (secret == nullptr || open == nullptr) {
            std::fprintf(stderr, "conffiles not found\n");
            return 10;
        }
        if (secret->state != manifests::ConffileState::unknown || secret->error != EACCES ||
            open->state != manifests::ConffileState::unchanged) {
            std::fprintf(stderr, "states: %s, %s\n",
                         std::string(manifests::to_string(secret->state)).c_str(),
                         std::string(manifests::to_string(open->state)).c_str());
            return 11;
        }
        if (selection.problems().size() != 1 ||
            selection.problems()[0].path != "/etc/secret.conf" ||
            selection.problems()[0].error != EACCES ||
            selection.problems()[0].what != "open conffile") {
            std::fprintf(stderr, "problems: %zu\n", selection.problems().size());
            return 12;
        }
        std::vector<std::string> members;
        for (const BackupSelection::Member& member : selection.members()) {
            members.push_back(std::string(to_string(member.reason)) + " " + selection.path(member));
        }
        // Still backed up: the run, as root, reads it.
        if (members != std::vector<std::string>{"conffile /etc/open.conf",
                                                "conffile /etc/secret.conf",
                                                "annoying /srv/file"}) {
            std::fprintf(stderr, "members: %zu\n", members.size());
            return 13;
        }
        return 0;
    });
    EXPECT_EQ(status, 0);
}

} // namespace
} // namespace offstage::selection
