// A root for scans by a user who cannot read everything: two conffiles of a hand-written dpkg
// database, one only root may read, and a file no package ships; the rest readable by all.
#pragma once

#include "tests/support/temp_dir.hpp"

#include <filesystem>

namespace offstage::test {

class UnreadableConffileRoot {
public:
    UnreadableConffileRoot() {
        std::filesystem::permissions(dir_.path(), std::filesystem::perms(0755));
        write_file(dir_ / "root/etc/secret.conf", "root's secret\n", std::filesystem::perms(0600));
        write_file(dir_ / "root/etc/open.conf", "");
        write_file(dir_ / "root/srv/file", "mine\n");
        write_file(admindir() / "status",
                   "Package: secret-conf\nStatus: install ok installed\nVersion: 1.0\n"
                   "Architecture: all\nMaintainer: tests <tests@example.org>\n"
                   "Description: a package with conffiles\nConffiles:\n"
                   " /etc/open.conf d41d8cd98f00b204e9800998ecf8427e\n"
                   " /etc/secret.conf d41d8cd98f00b204e9800998ecf8427e\n");
        write_file(admindir() / "info/secret-conf.list",
                   "/.\n/etc\n/etc/open.conf\n/etc/secret.conf\n");
        std::filesystem::create_directories(admindir() / "updates");
        std::filesystem::create_directories(dir_ / "policy.d");
        write_file(dir_ / "offstage.toml", "");
    }
    std::filesystem::path root() const { return dir_ / "root"; }
    std::filesystem::path admindir() const { return dir_ / "dpkg"; }
    std::filesystem::path policy_dir() const { return dir_ / "policy.d"; }
    std::filesystem::path config() const { return dir_ / "offstage.toml"; }

private:
    TempDir dir_;
};

} // namespace offstage::test
