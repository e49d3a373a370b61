#include "stager/drill/afs_drill.hpp"
#include "stager/drill/drill.hpp"
#include "stager/drill/mariadb_drill.hpp"
#include "stager/drill/postgresql_drill.hpp"
#include "stager/drill/sqlite_drill.hpp"

namespace offstage::drill {

std::vector<std::unique_ptr<Drill>> all_drills(const DrillSettings& settings) {
    std::vector<std::unique_ptr<Drill>> drills;
    // One line per kind, in the order verdicts are printed.
    drills.push_back(std::make_unique<MariadbDrill>());
    drills.push_back(std::make_unique<PostgresqlDrill>());
    drills.push_back(std::make_unique<SqliteDrill>());
    drills.push_back(std::make_unique<AfsDrill>(settings.afs_cell));
    return drills;
}

} // namespace offstage::drill
