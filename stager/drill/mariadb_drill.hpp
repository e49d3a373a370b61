// The MariaDB drill: every db/mariadb/NAME.sql.zst.age of a verified day is loaded into one
// throwaway MariaDB server (mariadb_server.hpp) and the restored database is fingerprinted with
// the same queries the source ran at dump time (mariadb_fingerprint.hpp): every table's row
// count and checksum, and each routine, trigger, event and view, must equal the fingerprint
// stored beside the dump. users.sql is loaded last and every account and grant of its
// fingerprint must be on the restored server. One verdict per database, one for the users.
#pragma once

#include "stager/drill/drill.hpp"
#include "stager/drill/mariadb_server.hpp"

namespace offstage::drill {

class MariadbDrill : public Drill {
public:
    explicit MariadbDrill(MariadbServerOptions server = {})
        : server_(std::move(server)) {}
    std::string kind() const override { return "mariadb"; }
    std::string family() const override { return "db"; }
    std::vector<DrillVerdict> run(const DrillContext& context) override;

private:
    MariadbServerOptions server_;
};

} // namespace offstage::drill
