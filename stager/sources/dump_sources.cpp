#include "stager/sources/dump_sources.hpp"

namespace offstage::sources {

std::vector<std::unique_ptr<Source>> dump_sources(const DumpSettings& settings) {
    std::vector<std::unique_ptr<Source>> sources;
    // One block per kind, in this order: mariadb, postgresql, sqlite, afs.
    if (settings.mariadb.enabled) {
        sources.push_back(std::make_unique<MariadbSource>(settings.mariadb));
    }
    if (settings.postgresql) {
        sources.push_back(std::make_unique<PostgresqlSource>(*settings.postgresql));
    }
    for (const SqliteSettings& sqlite : settings.sqlite) {
        sources.push_back(std::make_unique<SqliteSource>(sqlite));
    }
    if (settings.afs) {
        sources.push_back(std::make_unique<afs::AfsSource>(*settings.afs));
    }
    return sources;
}

} // namespace offstage::sources
