#include "stager/sources/dump_sources.hpp"

namespace offstage::sources {

std::vector<std::unique_ptr<Source>> dump_sources(const DumpSettings& settings) {
    std::vector<std::unique_ptr<Source>> sources;
    // One block per kind, in this order: mariadb, postgresql, sqlite, afs.
    if (settings.mariadb.enabled) {
        sources.push_back(std::make_unique<MariadbSource>(settings.mariadb));
    }
    return sources;
}

} // namespace offstage::sources
