// [scan], [staging], [run], [catalog], [status], [[spool]], [postgresql], [[sqlite]] and
// [afs] as `offstage run` takes them.
#include "platform/printable_name.hpp"
#include "platform/staging_layout.hpp"
#include "stager/config/stager_config.hpp"
#include "stager/mail/mail_settings.hpp"

#include <algorithm>
#include <grp.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace offstage::config {

using platform::ConfigError;

namespace {

// [staging] file_mode / directory_mode: three or four octal digits ("0640"). The pull user reads
// through the group, so the owner (root) must keep `owner_bits`, the group may not write, the
// world gets nothing, and no setuid, setgid or sticky bit is set.
mode_t pull_mode(const platform::ConfigTable& staging, std::string_view key, mode_t fallback,
                 mode_t owner_bits) {
    std::optional<std::string> text = staging.string(key);
    if (!text) {
        return fallback;
    }
    auto fail = [&](const std::string& why) {
        throw ConfigError(staging.where(key) + ": " + staging.name(key) + " \"" +
                          platform::printable_name(*text) + "\" " + why);
    };
    bool digits =
        (text->size() == 3 || text->size() == 4) &&
        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '7'; });
    if (!digits) {
        fail("is not an octal mode such as \"" + std::string(key == "file_mode" ? "0640" : "0750") +
             "\"");
    }
    mode_t mode = static_cast<mode_t>(std::stoul(*text, nullptr, 8));
    if ((mode & 07000) != 0) {
        fail("sets a setuid, setgid or sticky bit");
    }
    if ((mode & S_IRWXO) != 0) {
        fail("gives others access: nothing may be world-readable, -writable or -executable");
    }
    if ((mode & S_IWGRP) != 0) {
        fail("lets the group write: the pull user may write nothing");
    }
    if ((mode & owner_bits) != owner_bits) {
        fail("takes from the owner (root) what it needs: at least " +
             std::string(owner_bits == 0700 ? "rwx (0700)" : "rw (0600)"));
    }
    return mode;
}

} // namespace

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
    settings.pull.group = ::getegid();
    settings.pull.file_mode = pull_mode(staging, "file_mode", 0640, 0600);
    settings.pull.directory_mode = pull_mode(staging, "directory_mode", 0750, 0700);
    if (auto group = staging.string("group")) {
        struct group* entry = ::getgrnam(group->c_str());
        if (entry == nullptr) {
            throw ConfigError(staging.where("group") + ": " + staging.name("group") +
                              ": no group named '" + platform::printable_name(*group, 200) +
                              "' on this host");
        }
        settings.pull.group = entry->gr_gid;
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
    if (auto send = mail.string("send")) {
        // The key table allows only the cadence words.
        settings.mail.send = mail::parse_mail_cadence(*send).value_or(settings.mail.send);
    }
    if (config_path != platform::staging_layout::default_config_path) {
        settings.mail.config_file = config_path.string();
    }

    settings.status = status::StatusSettings::from(file_);

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
                              platform::printable_name(entry.name, 200) +
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
    if (file_.has_section("postgresql")) {
        platform::ConfigTable postgresql = file_.section("postgresql");
        sources::PostgresqlSettings entry;
        entry.os_user = postgresql.string("os_user").value_or(entry.os_user);
        entry.socket_dir = postgresql.path("socket_dir").value_or(entry.socket_dir);
        entry.port = static_cast<int>(postgresql.integer("port").value_or(entry.port));
        entry.databases = postgresql.strings("databases").value_or(entry.databases);
        entry.exclude = postgresql.strings("exclude").value_or(entry.exclude);
        entry.timeout = std::chrono::seconds(postgresql.integer("timeout").value_or(30));
        entry.dump_timeout =
            std::chrono::seconds(postgresql.integer("dump_timeout").value_or(6 * 3600));
        entry.bin_dir = postgresql.path("bin_dir").value_or("");
        entry.psql = postgresql.path("psql").value_or("");
        entry.pg_dump = postgresql.path("pg_dump").value_or("");
        entry.pg_dumpall = postgresql.path("pg_dumpall").value_or("");
        entry.pg_restore = postgresql.path("pg_restore").value_or("");
        settings.dumps.postgresql = std::move(entry);
    }
    std::set<std::string> sqlite_names;
    for (const platform::ConfigTable& sqlite : file_.entries("sqlite")) {
        sources::SqliteSettings entry;
        entry.name = sqlite.string("name").value_or("");
        if (!sqlite_names.insert(entry.name).second || entry.name.empty()) {
            throw ConfigError(sqlite.where("name") + ": " + sqlite.name("name") + " '" +
                              platform::printable_name(entry.name) +
                              "' is empty or names another [[sqlite]] entry too");
        }
        entry.path = sqlite.path("path").value_or("");
        entry.timeout = std::chrono::seconds(sqlite.integer("timeout").value_or(30));
        entry.temp_parent = sqlite.path("temp_dir").value_or(entry.temp_parent);
        settings.dumps.sqlite.push_back(std::move(entry));
    }
    // [afs] stages volumes once it names a server (the shipped file has the section, commented).
    if (platform::ConfigTable afs = file_.section("afs"); afs.string("server")) {
        sources::afs::AfsSettings entry;
        entry.server = *afs.string("server");
        if (entry.server.empty()) {
            throw ConfigError(afs.where("server") + ": " + afs.name("server") +
                              " is empty: name the file server whose volumes are dumped");
        }
        entry.partitions = afs.strings("partitions").value_or(entry.partitions);
        entry.vos = afs.path("vos").value_or(entry.vos);
        entry.auth_wrapper = afs.strings("auth_wrapper").value_or(entry.auth_wrapper);
        entry.config_dir = afs.path("config_dir");
        entry.cell = afs.string("cell");
        entry.backupsys = afs.boolean("backupsys").value_or(entry.backupsys);
        entry.retries = static_cast<unsigned>(afs.integer("retries").value_or(entry.retries));
        entry.retry_delay = std::chrono::seconds(afs.integer("retry_delay").value_or(30));
        entry.timeout = std::chrono::seconds(afs.integer("timeout").value_or(300));
        entry.dump_timeout = std::chrono::seconds(afs.integer("dump_timeout").value_or(21600));
        entry.policy_dir = settings.scan.policy_dir;
        settings.dumps.afs = std::move(entry);
    }
    return settings;
}

} // namespace offstage::config
