#include "stager/status/status_settings.hpp"

namespace offstage::status {

StatusSettings StatusSettings::from(const platform::ConfigFile& file) {
    StatusSettings settings;
    platform::ConfigTable status = file.section("status");
    settings.html_dir = status.path("html_dir").value_or(settings.html_dir);
    settings.html_group = status.string("html_group").value_or("");
    settings.show_names = status.boolean("show_names").value_or(false);
    settings.metrics_file = status.path("metrics_file").value_or(settings.metrics_file);
    settings.pull_deadline = std::chrono::seconds(
        status.integer("pull_deadline").value_or(default_pull_deadline.count()));
    settings.receipts_file =
        file.section("shell").path("receipts_file").value_or(settings.receipts_file);
    settings.keep = static_cast<std::size_t>(file.section("staging").integer("keep").value_or(2));
    return settings;
}

} // namespace offstage::status
