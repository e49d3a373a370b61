// The OpenAFS volumes of one file server as a source of `offstage run` (docs/afs.md): every RW
// volume `vos listvol -format` lists is dumped (`vos dump -time 0`, from its fresh .backup clone
// by default) into its own artifact afs/VOLUME.vosdump.zst.age, reused from the previous tree
// when its update date has not moved, or left out by an `exclude-volume` policy rule. Every
// volume of the server is accounted for in the result's counts, which add up to the listing.
#pragma once

#include "stager/sources/source.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace offstage::sources::afs {

struct AfsSettings {
    std::string server;                  // the file server, as vos takes it
    std::vector<std::string> partitions; // empty: all of the server's
    std::filesystem::path vos = "/usr/bin/vos";
    // Prepended to every vos command line (e.g. k5start with a keytab, which gets tokens);
    // empty: vos runs with -localauth (the server's KeyFile, as root on a server machine).
    std::vector<std::string> auth_wrapper;
    std::optional<std::filesystem::path> config_dir; // vos -config DIR
    std::optional<std::string> cell;                 // vos -cell CELL
    // `vos backupsys` for the volumes to dump first, then dump their .backup clones (users' RW
    // volumes never go busy); false: dump existing .backup clones (the RW volume when none).
    bool backupsys = true;
    unsigned retries = 3; // more attempts at a dump that failed as busy or locked
    std::chrono::milliseconds retry_delay = std::chrono::seconds(30);
    std::chrono::milliseconds timeout = std::chrono::seconds(300);  // listvol, backupsys
    std::chrono::milliseconds dump_timeout = std::chrono::hours(6); // each vos dump
    // Where the `exclude-volume` rules are ([scan] policy_dir); empty: none.
    std::filesystem::path policy_dir;
};

class AfsSource : public Source {
public:
    explicit AfsSource(AfsSettings settings);
    std::string name() const override { return "afs"; }
    std::string kind() const override { return "afs"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

    // The artifact of a volume: "afs/" + its encoded name + ".vosdump.zst.age".
    static std::string artifact_name(const std::string& volume);

private:
    AfsSettings settings_;
};

} // namespace offstage::sources::afs
