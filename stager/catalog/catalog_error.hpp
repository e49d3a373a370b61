// Anything the catalog cannot do: open, migrate, read, record, back up. The message names the
// catalog file, what was being done, and SQLite's own words.
#pragma once

#include <stdexcept>

namespace offstage::catalog {

class CatalogError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

} // namespace offstage::catalog
