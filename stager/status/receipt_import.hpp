// The forced shell's receipts file (docs/forced-shell.md, "Receipts") into the catalog: read
// under the same flock the shell appends under, recorded in one catalog transaction, then
// emptied. A crash between the two imports the same lines again, which the catalog keeps as one
// row each; a catalog that cannot be written leaves the file as it was.
#pragma once

#include "stager/catalog/catalog.hpp"

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

namespace offstage::status {

struct ParsedReceipts {
    std::vector<catalog::PullRecord> pulls; // one per served day of each line
    std::size_t lines = 0;                  // well-formed lines
    std::size_t malformed = 0;              // lines that are not the format (a cut last line)
};

// Parses the file's text strictly: every field must be exactly what the shell writes (a time,
// an address or "-", a status, day names), so an edited or damaged line is counted, not used.
ParsedReceipts parse_receipts(std::string_view text);

struct ReceiptImport {
    std::size_t lines = 0;
    std::size_t added = 0; // pulls the catalog did not hold yet
    std::size_t malformed = 0;
};

// The shell's file is bounded (1 MiB); an import reads at most this much and empties it all.
inline constexpr std::size_t max_receipts_read = 4 << 20;

// Imports `file` into `catalog` and empties it. A missing file imports nothing. Throws
// std::runtime_error naming the file (not a regular file, unreadable) or the catalog's
// CatalogError; the file is emptied only after the catalog committed.
ReceiptImport import_receipts(const std::filesystem::path& file, catalog::Catalog& catalog);

} // namespace offstage::status
