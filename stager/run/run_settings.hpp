// Everything one `offstage run` needs, resolved from offstage.toml and the command line before
// the run starts (stager/config), so that the run itself reads no configuration.
#pragma once

#include "platform/staging_layout.hpp"
#include "stager/archive/encrypted_archive_writer.hpp"
#include "stager/catalog/catalog.hpp"
#include "stager/mail/mail_settings.hpp"
#include "stager/selection/scan_settings.hpp"
#include "stager/sources/dump_sources.hpp"
#include "stager/sources/spool_source.hpp"
#include "stager/staging/artifact_writer.hpp"
#include "stager/staging/staging_tree.hpp"
#include "stager/status/status_settings.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

namespace offstage::run {

struct RunSettings {
    selection::ScanSettings scan;      // root, dpkg database, policies, filesystems, staging root
    std::filesystem::path config_file; // archived in `system`

    std::filesystem::path staging_root{platform::staging_layout::default_staging_root};
    std::filesystem::path work_root; // default: staging_layout::default_work_root(root)
    staging::PullAccess pull;        // group and modes of the published trees
    std::size_t keep = 2;            // complete trees kept (at least 1)

    std::filesystem::path run_lock{platform::staging_layout::default_run_lock};
    std::chrono::milliseconds lock_wait{std::chrono::minutes(10)};

    std::filesystem::path signing_key{platform::staging_layout::default_signing_key};
    std::filesystem::path digest_key =
        std::filesystem::path(platform::staging_layout::default_state_dir) / "digest.key";

    catalog::CatalogSettings catalog;
    mail::MailSettings mail;
    status::StatusSettings status; // the page and the metrics written at the end

    staging::ArtifactSettings artifacts; // recipients and compression
    std::vector<sources::SpoolSettings> spools;
    sources::DumpSettings dumps; // [mariadb], [postgresql], [[sqlite]], [afs]

    // [hooks]: argv of the admin's programs (empty: none) and their budget.
    std::vector<std::string> pre_hook;
    std::vector<std::string> post_hook;
    std::chrono::seconds hook_timeout{600};

    std::string host;               // in the signature and the mail; default: gethostname()
    std::optional<std::string> day; // default: today's local date
    bool progress = false;          // progress on a terminal
    // [run] log_file (empty: none) and syslog: where every step and problem is logged.
    std::filesystem::path log_file{"/var/log/offstage/run.log"};
    bool syslog = true;
};

} // namespace offstage::run
