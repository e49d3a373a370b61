// The SQLite drill: each day's copy is written to the scratch directory, opened, must pass
// `PRAGMA integrity_check`, and its fingerprint must equal the one taken when it was copied.
#pragma once

#include "stager/drill/drill.hpp"

namespace offstage::drill {

class SqliteDrill : public Drill {
public:
    std::string kind() const override { return "sqlite"; }
    std::string family() const override { return "db"; }
    std::vector<DrillVerdict> run(const DrillContext& context) override;
};

} // namespace offstage::drill
