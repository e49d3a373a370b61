// The key table of /etc/offstage/offstage.toml: every section and every key of the file, once.
// docs/offstage.toml.5 documents each row (tests/platform checks that it names every key), and
// docs/offstage.toml is the installed file with every default. Defaults live with the programs
// that use a key (forced-shell/shell_config.hpp, stager/config/stager_config.hpp,
// stager/selection/scan_settings.hpp); this table says only what a value may be.
#include "platform/config_schema.hpp"

#include <array>

namespace offstage::platform {
namespace {

using enum ConfigType;

// [staging]: the tree both programs share.
constexpr std::array staging_keys{
    ConfigKey{.name = "root", .type = absolute_path}, // served by the shell, written by the run
    ConfigKey{.name = "work_root", .type = absolute_path}, // where runs build, outside root
    ConfigKey{.name = "group", .type = string},            // the pull user's group
    ConfigKey{.name = "file_mode", .type = string},        // octal, checked by the stager
    ConfigKey{.name = "directory_mode", .type = string},   // octal, checked by the stager
    ConfigKey{.name = "keep", .type = integer, .min = 1, .max = 3650}, // complete trees kept
    ConfigKey{.name = "signing_key", .type = absolute_path},
};

// [run]: `offstage run` itself.
constexpr std::array run_keys{
    ConfigKey{.name = "lock", .type = absolute_path},
    ConfigKey{.name = "lock_wait", .type = integer, .min = 0, .max = 86400}, // seconds
    ConfigKey{.name = "state_dir", .type = absolute_path},                   // keys, the kept mails
    ConfigKey{.name = "log_file", .type = optional_path},                    // "": no log file
    ConfigKey{.name = "syslog", .type = boolean},
};

// [catalog]: the SQLite record of every run.
constexpr std::array catalog_keys{
    ConfigKey{.name = "path", .type = absolute_path},
    ConfigKey{.name = "busy_timeout", .type = integer, .min = 1, .max = 600}, // seconds
};

constexpr std::array<std::string_view, 3> mail_cadences{"always", "on-change", "weekly"};

// [mail]: the report mail, sent with `sendmail -t -oi` (docs/mail.md).
constexpr std::array mail_keys{
    ConfigKey{.name = "recipients", .type = strings}, // [] sends no mail
    ConfigKey{.name = "from", .type = string},
    ConfigKey{.name = "sendmail", .type = absolute_path},
    ConfigKey{.name = "sendmail_args", .type = strings},
    ConfigKey{.name = "listing_cap", .type = integer, .min = 0, .max = 1000000},
    ConfigKey{.name = "keep_dir", .type = absolute_path},
    ConfigKey{.name = "timeout", .type = integer, .min = 1, .max = 3600}, // seconds
    ConfigKey{.name = "send", .type = choice, .choices = mail_cadences},  // when a run mails
};

// [hooks]: the admin's programs around a run (docs/offstage-run.8, HOOKS).
constexpr std::array hooks_keys{
    ConfigKey{.name = "pre", .type = command}, ConfigKey{.name = "post", .type = command},
    ConfigKey{.name = "timeout", .type = integer, .min = 1, .max = 86400}, // seconds, each hook
};

// [status]: the status page and the Prometheus textfile a run writes at its end
// (docs/status-page.md).
constexpr std::array status_keys{
    ConfigKey{.name = "html_dir", .type = optional_path},     // "": no page after a run
    ConfigKey{.name = "html_group", .type = string},          // "": readable by root only
    ConfigKey{.name = "show_names", .type = boolean},         // names of host files on the page
    ConfigKey{.name = "metrics_file", .type = optional_path}, // "": no textfile
    ConfigKey{.name = "pull_deadline", .type = integer, .min = 3600, .max = 31 * 86400}, // s
};

// [[spool]]: a directory archived under its lock file, one entry each.
constexpr std::array spool_keys{
    ConfigKey{.name = "name", .type = string, .required = true},
    ConfigKey{.name = "directory", .type = absolute_path, .required = true},
    ConfigKey{.name = "lock_file", .type = optional_path},
    ConfigKey{.name = "lock_timeout", .type = integer, .min = 0, .max = 86400}, // seconds
};

// [postgresql]: the cluster dumped by `offstage run` (docs/databases.md); present, it is on.
constexpr std::array postgresql_keys{
    ConfigKey{.name = "os_user", .type = string},           // the dumps run as this OS user
    ConfigKey{.name = "socket_dir", .type = absolute_path}, // the server's unix socket directory
    ConfigKey{.name = "port", .type = integer, .min = 1, .max = 65535}, // names the socket file
    ConfigKey{.name = "databases", .type = strings}, // [] or absent: every connectable one
    ConfigKey{.name = "exclude", .type = strings},
    ConfigKey{.name = "timeout", .type = integer, .min = 1, .max = 3600}, // seconds: connect, locks
    ConfigKey{.name = "dump_timeout", .type = integer, .min = 1, .max = 604800}, // s, one database
    ConfigKey{.name = "bin_dir",
              .type = absolute_path}, // default: newest /usr/lib/postgresql/*/bin
    ConfigKey{.name = "psql", .type = absolute_path},
    ConfigKey{.name = "pg_dump", .type = absolute_path},
    ConfigKey{.name = "pg_dumpall", .type = absolute_path},
    ConfigKey{.name = "pg_restore", .type = absolute_path},
};

// [[sqlite]]: a SQLite database file, copied with the online backup API, one entry each.
constexpr std::array sqlite_keys{
    ConfigKey{.name = "name", .type = string, .required = true},
    ConfigKey{.name = "path", .type = absolute_path, .required = true},
    ConfigKey{
        .name = "timeout", .type = integer, .min = 0, .max = 3600}, // seconds: a writer's lock
    ConfigKey{.name = "temp_dir", .type = absolute_path}, // where the private copy is made
};

// [afs]: the OpenAFS volumes of one file server, dumped by vos (docs/afs.md).
constexpr std::array afs_keys{
    ConfigKey{.name = "server", .type = string},      // absent: no AFS source
    ConfigKey{.name = "partitions", .type = strings}, // [] or absent: every partition
    ConfigKey{.name = "vos", .type = absolute_path},
    ConfigKey{.name = "auth_wrapper", .type = command},     // absent: vos -localauth
    ConfigKey{.name = "config_dir", .type = absolute_path}, // vos -config
    ConfigKey{.name = "cell", .type = string},              // vos -cell
    ConfigKey{.name = "backupsys", .type = boolean},
    ConfigKey{.name = "retries", .type = integer, .min = 0, .max = 20},
    ConfigKey{.name = "retry_delay", .type = integer, .min = 0, .max = 3600},    // seconds
    ConfigKey{.name = "timeout", .type = integer, .min = 1, .max = 86400},       // seconds
    ConfigKey{.name = "dump_timeout", .type = integer, .min = 1, .max = 604800}, // seconds
    // `offstage drill` restores each dump into this server and partition (absent: it only
    // reads the dumps to their end marker).
    ConfigKey{.name = "drill_server", .type = string},
    ConfigKey{.name = "drill_partition", .type = string},
};

// [shell]: offstage-shell alone. Everything it executes or writes is an absolute path.
constexpr std::array shell_keys{
    ConfigKey{.name = "rsync", .type = absolute_path},
    ConfigKey{.name = "backup_command", .type = command}, // run with no shell in between
    ConfigKey{.name = "log_file", .type = optional_path}, // "": syslog only
    ConfigKey{.name = "syslog", .type = boolean},
    ConfigKey{.name = "backup_lock", .type = absolute_path},
    ConfigKey{.name = "backup_wait", .type = boolean},
    ConfigKey{.name = "receipts_file", .type = optional_path}, // "": no receipts
};

// [scan]: what the backup set is computed from.
constexpr std::array scan_keys{
    ConfigKey{.name = "root", .type = absolute_path},
    ConfigKey{.name = "admindir", .type = absolute_path},
    ConfigKey{.name = "policy_dir", .type = absolute_path},
    ConfigKey{.name = "filesystems", .type = absolute_paths}, // mount points walked besides root
    // Scans in a row a rule may match nothing before it is reported as stale.
    ConfigKey{.name = "stale_rule_runs", .type = integer, .min = 1, .max = 100000},
};

// [encryption]: the stager checks each recipient as an age key too (stager/config): the shell
// holds no age code.
constexpr std::array encryption_keys{
    ConfigKey{.name = "recipients", .type = age_recipients},
    ConfigKey{.name = "recipients_file", .type = optional_path},
};

constexpr std::array<std::string_view, 2> compressions{"zstd", "none"};

// [archive]: how artifacts are compressed, and the threads of each stage of the pipeline
// (0: one per usable CPU, from sched_getaffinity).
constexpr std::array archive_keys{
    ConfigKey{.name = "compression", .type = choice, .choices = compressions},
    ConfigKey{.name = "level", .type = integer, .min = 1, .max = 19}, // zstd's ordinary levels
    ConfigKey{.name = "threads", .type = thread_count},               // zstd workers
    ConfigKey{.name = "read_threads", .type = thread_count},          // reading files ahead
    ConfigKey{.name = "seal_threads", .type = thread_count},          // sealing age chunks
};

constexpr std::array<std::string_view, 3> non_transactional_strategies{"lock-tables", "skip",
                                                                       "warn"};

// [mariadb]: the MariaDB dump source, on when the section is present (docs/databases.md).
constexpr std::array mariadb_keys{
    ConfigKey{.name = "defaults_file", .type = optional_path}, // [client] user, password, socket
    ConfigKey{.name = "socket", .type = optional_path},
    ConfigKey{.name = "user", .type = string},
    ConfigKey{.name = "databases", .type = strings}, // [] every database
    ConfigKey{.name = "exclude", .type = strings},
    ConfigKey{.name = "non_transactional", .type = choice, .choices = non_transactional_strategies},
    ConfigKey{.name = "timeout", .type = integer, .min = 1, .max = 86400},        // s, one dump
    ConfigKey{.name = "connect_timeout", .type = integer, .min = 1, .max = 3600}, // seconds
    ConfigKey{.name = "lock_timeout", .type = integer, .min = 1, .max = 86400},   // seconds
    ConfigKey{.name = "mariadb", .type = absolute_path},
    ConfigKey{.name = "mariadb_dump", .type = absolute_path},
};

constexpr std::array sections{
    ConfigSection{.name = "staging", .keys = staging_keys},
    ConfigSection{.name = "shell", .keys = shell_keys},
    ConfigSection{.name = "scan", .keys = scan_keys},
    ConfigSection{.name = "encryption", .keys = encryption_keys},
    ConfigSection{.name = "archive", .keys = archive_keys},
    ConfigSection{.name = "run", .keys = run_keys},
    ConfigSection{.name = "catalog", .keys = catalog_keys},
    ConfigSection{.name = "mail", .keys = mail_keys},
    ConfigSection{.name = "hooks", .keys = hooks_keys},
    ConfigSection{.name = "status", .keys = status_keys},
    ConfigSection{.name = "spool", .keys = spool_keys, .array_of_tables = true},
    ConfigSection{.name = "mariadb", .keys = mariadb_keys, .presence_enables = true},
    ConfigSection{.name = "postgresql", .keys = postgresql_keys, .presence_enables = true},
    ConfigSection{.name = "sqlite", .keys = sqlite_keys, .array_of_tables = true},
    ConfigSection{.name = "afs", .keys = afs_keys},
};

constexpr ConfigSchema schema{.sections = sections};

} // namespace

const ConfigSchema& offstage_config_schema() {
    return schema;
}

} // namespace offstage::platform
