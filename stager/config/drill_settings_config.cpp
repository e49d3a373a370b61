// [afs] drill_server and drill_partition as `offstage drill` takes them (docs/afs.md, "Drill").
#include "stager/config/stager_config.hpp"

namespace offstage::config {

drill::DrillSettings StagerConfig::drill_settings() const {
    drill::DrillSettings settings;
    platform::ConfigTable afs = file_.section("afs");
    std::optional<std::string> server = afs.string("drill_server");
    std::optional<std::string> partition = afs.string("drill_partition");
    if (!server && !partition) {
        return settings;
    }
    if (!server || server->empty() || !partition || partition->empty()) {
        std::string key = server ? "drill_server" : "drill_partition";
        throw platform::ConfigError(afs.where(key) + ": " + afs.name("drill_server") + " and " +
                                    afs.name("drill_partition") +
                                    " go together: name the file server and the partition the "
                                    "drill restores volumes into");
    }
    settings.afs_cell = afs_drill_cell(*server, *partition);
    return settings;
}

drill::AfsDrillCell StagerConfig::afs_drill_cell(std::string server, std::string partition) const {
    platform::ConfigTable afs = file_.section("afs");
    drill::AfsDrillCell cell;
    cell.server = std::move(server);
    cell.partition = std::move(partition);
    cell.vos = afs.path("vos").value_or(cell.vos);
    cell.auth_wrapper = afs.strings("auth_wrapper").value_or(cell.auth_wrapper);
    cell.config_dir = afs.path("config_dir");
    cell.cell = afs.string("cell");
    return cell;
}

} // namespace offstage::config
