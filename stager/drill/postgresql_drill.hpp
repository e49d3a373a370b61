// The PostgreSQL drill: a throwaway server (postgresql_server.hpp) gets the day's globals (its
// roles must then equal globals.roles), then each database dump through pg_restore --create,
// and the restored database's fingerprint must equal the one taken in the dump's snapshot:
// every table's row count and checksum, views, routines, triggers, owners and grants.
#pragma once

#include "stager/drill/drill.hpp"

namespace offstage::drill {

class PostgresqlDrill : public Drill {
public:
    std::string kind() const override { return "postgresql"; }
    std::string family() const override { return "db"; }
    std::vector<DrillVerdict> run(const DrillContext& context) override;
};

} // namespace offstage::drill
