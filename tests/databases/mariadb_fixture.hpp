// The "original" MariaDB server of the database tests: a throwaway server (the drill's own
// class) seeded with the hard parts: UTF-8 text in several scripts, blobs holding every byte
// value, a stored procedure, a trigger, an event, a view, a user with grants, a MyISAM table
// beside InnoDB ones, and a second database. One per test program, stopped at its exit.
#pragma once

#include "stager/drill/mariadb_server.hpp"

#include <memory>
#include <string>

namespace offstage::test {

class SeededMariadb {
public:
    // Starts and seeds the server once per program; nullptr (with `why`) when it cannot.
    static drill::MariadbServer* shared(std::string& why);
    // Whether mariadbd is here at all: only its absence skips a test; an installed server that
    // does not start is a failure (it once hid servers crashing under parallel tests).
    static bool installed();
    // Runs SQL as root on `server`; fails the test (ADD_FAILURE) on error and returns stdout.
    static std::string sql(const drill::MariadbServer& server, const std::string& statements);
};

// The seed statements (shop: InnoDB + MyISAM + routines; wiki: a second database; app: a user).
extern const char* const mariadb_seed_sql;

} // namespace offstage::test
