// The accounts and grants of a MariaDB server written as SQL by offstage itself, for a dump tool
// without `--system=users` (mariadb-dump before 10.2.37, 10.3.28, 10.4.18 and 10.5.9, or a
// mysqldump): each account of mysql.user asked for with SHOW CREATE USER (roles: CREATE ROLE)
// and SHOW GRANTS, written in the order a restore needs (roles, then users, then every grant)
// and ended with the "-- Dump completed" line the source checks. The password hashes SHOW
// CREATE USER prints stay inside the encrypted artifact: never on a command line or in a log.
#pragma once

#include "stager/sources/databases/mariadb_client.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace offstage::sources {

// Whether the dump tool's stderr says it does not know --system (MariaDB's "unknown variable
// 'system=users'", MySQL's "unknown option '--system=users'"): the cue for the fallback.
bool dump_tool_lacks_system_option(std::string_view errors);

// The accounts and grants of the server `client` reaches, as statements that recreate them
// (CREATE OR REPLACE, so they load over a fresh server's own accounts). Throws
// platform::ChildProcessError when a query fails (naming the client's error line).
std::string mariadb_grants_sql(const MariadbClient& client, std::chrono::milliseconds timeout);

// A field of the client's batch output as the server sent it: the client writes a tab, a
// newline, a backslash and a NUL byte as \t, \n, \\ and \0.
std::string unescape_batch_field(std::string_view field);

} // namespace offstage::sources
