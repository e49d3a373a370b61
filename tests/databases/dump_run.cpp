#include "tests/databases/dump_run.hpp"

#include "tests/selection/tiny_debian_root.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace offstage::test {

DumpRun::DumpRun() {
    staging = dir / "srv/offstage";
    identity_file = dir / "identity.txt";
    fs::create_directories(staging);
    write_file(identity_file, identity.to_string() + "\n", fs::perms(0600));
}

void DumpRun::write_config(const std::string& extra) const {
    const TinyDebianRoot& root = TinyDebianRoot::shared();
    write_file(dir / "offstage.toml",
               "[staging]\nroot = \"" + staging.string() + "\"\nsigning_key = \"" +
                   (dir / "state/signing.key").string() + "\"\nkeep = 5\n[run]\nlock = \"" +
                   (dir / "run.lock").string() + "\"\nlock_wait = 1\nstate_dir = \"" +
                   (dir / "state").string() + "\"\nlog_file = \"" + (dir / "run.log").string() +
                   "\"\nsyslog = false\n[status]\nmetrics_file = \"\"\n[catalog]\npath = \"" +
                   (dir / "state/catalog.sqlite").string() + "\"\n[scan]\nroot = \"" +
                   root.root().string() + "\"\nadmindir = \"" + root.admindir().string() +
                   "\"\npolicy_dir = \"" + root.policy_dir().string() +
                   "\"\n[encryption]\nrecipients = [\"" + identity.recipient().to_string() +
                   "\"]\n[mail]\nrecipients = []\n" + extra);
}

CommandResult DumpRun::run(const std::string& day) const {
    CommandOptions options;
    options.timeout = std::chrono::seconds(300);
    return run_command({built_program("offstage").string(), "--config",
                        (dir / "offstage.toml").string(), "run", "--day", day},
                       options);
}

std::string DumpRun::decrypt(const fs::path& artifact) const {
    std::string command = "age -d -i \"$1\" \"$2\"";
    if (artifact.string().ends_with(".zst.age")) {
        command += " | zstd -dc";
    }
    auto out = run_command({"sh", "-c", command, "sh", identity_file.string(), artifact.string()});
    EXPECT_EQ(out.exit_status, 0) << artifact << ": " << out.err;
    return out.out;
}

ino_t DumpRun::inode(const fs::path& path) const {
    struct stat info {};
    EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
    return info.st_ino;
}

DrillDay::DrillDay(const fs::path& day, const age::X25519Identity& identity)
    : directory(day)
    , identities{identity} {}

drill::DrillContext DrillDay::context() const {
    drill::DrillContext context{directory, identities, scratch.path(), {}, {}};
    for (const auto& entry : directory.list()) {
        if (entry.name.ends_with(".age")) {
            context.artifacts.push_back(entry.name);
        }
    }
    return context;
}

} // namespace offstage::test
