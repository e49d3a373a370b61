#include "stager/drill/drill.hpp"
#include "stager/drill/mariadb_drill.hpp"

namespace offstage::drill {

std::vector<std::unique_ptr<Drill>> all_drills() {
    std::vector<std::unique_ptr<Drill>> drills;
    // One line per kind, in the order verdicts are printed.
    drills.push_back(std::make_unique<MariadbDrill>());
    return drills;
}

} // namespace offstage::drill
