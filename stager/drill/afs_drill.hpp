// The AFS part of `offstage drill` (docs/afs.md, "Drill"): each afs/VOLUME.vosdump.zst.age of the
// day is decrypted and read to its end through the dump format's tags (sources/afs/
// vos_dump_reader), which proves it whole and well formed without any AFS server. Where a drill
// cell is configured, the dump is also `vos restore`d into it under a scratch name, `vos
// examine` of the restored volume is compared with the dump's volume header, and the scratch
// volume is removed again.
#pragma once

#include "stager/drill/drill.hpp"

#include <optional>

namespace offstage::drill {

class AfsDrill : public Drill {
public:
    explicit AfsDrill(std::optional<AfsDrillCell> cell = std::nullopt);
    std::string kind() const override { return "afs"; }
    std::string family() const override { return "afs"; }
    std::vector<DrillVerdict> run(const DrillContext& context) override;

private:
    std::optional<AfsDrillCell> cell_;
};

} // namespace offstage::drill
