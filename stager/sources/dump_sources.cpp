#include "stager/sources/dump_sources.hpp"

namespace offstage::sources {

std::vector<std::unique_ptr<Source>> dump_sources(const DumpSettings& settings) {
    static_cast<void>(settings);
    std::vector<std::unique_ptr<Source>> sources;
    // One block per kind, in this order: mariadb, postgresql, sqlite, afs.
    return sources;
}

} // namespace offstage::sources
