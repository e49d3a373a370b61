// [scan], [staging], [run], [catalog] and [[spool]] as `offstage run` takes them.
#include "platform/staging_layout.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/mail/mail_settings.hpp"

#include <grp.h>
#include <set>
#include <unistd.h>

namespace offstage::config {

using platform::ConfigError;

StagerConfig::Paths StagerConfig::paths() const {
    namespace layout = platform::staging_layout;
    Paths paths;
    platform::ConfigTable staging = file_.section("staging");
    paths.staging_root = staging.path("root").value_or(layout::default_staging_root);
    paths.work_root =
        staging.path("work_root").value_or(layout::default_work_root(paths.staging_root));
    paths.signing_key = staging.path("signing_key").value_or(layout::default_signing_key);
    platform::ConfigTable run = file_.section("run");
    paths.run_lock = run.path("lock").value_or(layout::default_run_lock);
    paths.state_dir = run.path("state_dir").value_or(layout::default_state_dir);
    paths.catalog =
        file_.section("catalog").path("path").value_or(std::string(catalog::default_catalog_path));
    return paths;
}

run::RunSettings StagerConfig::run_settings(const std::filesystem::path& config_path) const {
    run::RunSettings settings;
    settings.scan = selection::ScanSettings::resolve(file_, {});
    settings.config_file = config_path;
    settings.artifacts.keys.recipients = recipients_;
    settings.artifacts.compression = compression();
    if (recipients_.empty()) {
        throw ConfigError(file_.source_name() +
                          ": [encryption] names no recipient: offstage run encrypts every "
                          "artifact and has no one to encrypt to");
    }

    const Paths where = paths();
    platform::ConfigTable staging = file_.section("staging");
    settings.staging_root = where.staging_root;
    settings.work_root = where.work_root;
    settings.keep = static_cast<std::size_t>(staging.integer("keep").value_or(2));
    settings.signing_key = where.signing_key;
    settings.pull_group = ::getegid();
    if (auto group = staging.string("group")) {
        struct group* entry = ::getgrnam(group->c_str());
        if (entry == nullptr) {
            throw ConfigError(staging.where("group") + ": " + staging.name("group") +
                              ": no group named '" + platform::escape_for_message(*group) +
                              "' on this host");
        }
        settings.pull_group = entry->gr_gid;
    }

    platform::ConfigTable run = file_.section("run");
    settings.run_lock = where.run_lock;
    settings.lock_wait = std::chrono::seconds(run.integer("lock_wait").value_or(600));
    const std::filesystem::path& state_dir = where.state_dir;
    settings.log_file = run.path("log_file").value_or(settings.log_file);
    settings.syslog = run.boolean("syslog").value_or(true);
    settings.digest_key = state_dir / "digest.key";

    platform::ConfigTable catalog = file_.section("catalog");
    settings.catalog.path = where.catalog;
    settings.catalog.busy_timeout =
        std::chrono::seconds(catalog.integer("busy_timeout").value_or(5));

    platform::ConfigTable mail = file_.section("mail");
    settings.mail.keep_dir = state_dir / "mail";
    settings.mail.recipients = mail.strings("recipients").value_or(settings.mail.recipients);
    for (std::size_t i = 0; i < settings.mail.recipients.size(); ++i) {
        if (auto problem = mail::address_problem(settings.mail.recipients[i])) {
            throw ConfigError(mail.where("recipients", i) + ": " + mail.name("recipients") + ": " +
                              *problem);
        }
    }
    settings.mail.from = mail.string("from").value_or("");
    if (auto problem =
            settings.mail.from.empty() ? std::nullopt : mail::address_problem(settings.mail.from)) {
        throw ConfigError(mail.where("from") + ": " + mail.name("from") + ": " + *problem);
    }
    settings.mail.sendmail = mail.path("sendmail").value_or(settings.mail.sendmail).string();
    settings.mail.sendmail_args =
        mail.strings("sendmail_args").value_or(std::vector<std::string>{});
    settings.mail.listing_cap = static_cast<std::size_t>(mail.integer("listing_cap").value_or(200));
    settings.mail.keep_dir = mail.path("keep_dir").value_or(settings.mail.keep_dir);
    settings.mail.timeout = std::chrono::seconds(mail.integer("timeout").value_or(120));

    platform::ConfigTable hooks = file_.section("hooks");
    settings.pre_hook = hooks.strings("pre").value_or(std::vector<std::string>{});
    settings.post_hook = hooks.strings("post").value_or(std::vector<std::string>{});
    settings.hook_timeout = std::chrono::seconds(hooks.integer("timeout").value_or(600));

    std::set<std::string> names;
    for (const platform::ConfigTable& spool : file_.entries("spool")) {
        sources::SpoolSettings entry;
        entry.name = spool.string("name").value_or("");
        if (!names.insert(entry.name).second || entry.name.empty()) {
            throw ConfigError(spool.where("name") + ": " + spool.name("name") + " '" +
                              platform::escape_for_message(entry.name) +
                              "' is empty or names another spool too");
        }
        entry.directory = spool.path("directory").value_or("");
        entry.lock_file = spool.path("lock_file").value_or("");
        entry.lock_timeout = std::chrono::seconds(spool.integer("lock_timeout").value_or(300));
        settings.spools.push_back(std::move(entry));
    }

    if (file_.has_section("mariadb")) {
        platform::ConfigTable section = file_.section("mariadb");
        sources::MariadbSettings& mariadb = settings.dumps.mariadb;
        mariadb.enabled = true;
        mariadb.connection.defaults_file = section.path("defaults_file").value_or("");
        mariadb.connection.socket = section.path("socket").value_or("");
        mariadb.connection.user = section.string("user").value_or("");
        mariadb.connection.client = section.path("mariadb").value_or(mariadb.connection.client);
        mariadb.connection.dump = section.path("mariadb_dump").value_or(mariadb.connection.dump);
        mariadb.connection.connect_timeout =
            std::chrono::seconds(section.integer("connect_timeout").value_or(10));
        mariadb.databases = section.strings("databases").value_or(std::vector<std::string>{});
        mariadb.exclude = section.strings("exclude").value_or(std::vector<std::string>{});
        std::string strategy = section.string("non_transactional").value_or("lock-tables");
        mariadb.non_transactional = strategy == "skip"   ? sources::NonTransactional::skip
                                    : strategy == "warn" ? sources::NonTransactional::warn
                                                         : sources::NonTransactional::lock_tables;
        mariadb.timeout = std::chrono::seconds(section.integer("timeout").value_or(6 * 3600));
        mariadb.lock_timeout = std::chrono::seconds(section.integer("lock_timeout").value_or(60));
    }
    return settings;
}

} // namespace offstage::config
