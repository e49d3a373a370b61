// /etc/offstage/offstage.toml, parsed with toml++ (TOML 1.0) and checked whole against a key
// table (config_schema.hpp) before any value is read: an unknown section or key, a key outside
// a section, a wrong type, an out-of-range integer or a relative path is a ConfigError naming
// FILE:LINE:COL, never a silent default. Both programs load the file through here, so they agree
// on which files are valid. The raw text is bounded first (config_text_bounds.hpp).
#pragma once

#include "platform/config_schema.hpp"
#include "platform/staging_layout.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::platform {

class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The parsed document (toml++ is a large header: only config_file.cpp includes it).
struct ConfigDocument;

// One table of a loaded file: a [section], or one entry of a [[section]]. Its values were
// checked against the key table when the file was loaded, so an accessor only says whether the
// key is there. Asking for a key the table does not list, or through an accessor that does not
// fit its type, is a programming error (std::logic_error).
class ConfigTable {
public:
    std::optional<std::string> string(std::string_view key) const;   // string, choice and paths
    std::optional<std::int64_t> integer(std::string_view key) const; // integer, thread_count
    std::optional<bool> boolean(std::string_view key) const;
    // strings, absolute_paths, command
    std::optional<std::vector<std::string>> strings(std::string_view key) const;
    // absolute_path, optional_path ("" gives an empty path)
    std::optional<std::filesystem::path> path(std::string_view key) const;

    // "FILE:LINE:COL" of the key's value (of element `index` of its array); where the table
    // starts when the key is absent. For errors a program finds in a value the table allowed,
    // e.g. a recipient that is not an age key.
    std::string where(std::string_view key) const;
    std::string where(std::string_view key, std::size_t index) const;
    // "[section] key" or "[[section]] key", for messages.
    std::string name(std::string_view key) const;

private:
    friend class ConfigFile;
    friend struct ConfigTableAccess;
    ConfigTable(std::shared_ptr<const ConfigDocument> document, const ConfigSection& section,
                std::size_t entry)
        : document_(std::move(document))
        , section_(&section)
        , entry_(entry) {}

    std::shared_ptr<const ConfigDocument> document_;
    const ConfigSection* section_;
    std::size_t entry_; // which entry of a [[section]]; unused for a [section]
};

class ConfigFile {
public:
    static constexpr const char* default_path = staging_layout::default_config_path.data();

    // Reads `path` (a regular file of at most max_config_bytes), parses it and checks it
    // against `schema`, which must outlive the result. Throws ConfigError: "FILE: not a regular
    // file (a directory)", "FILE: cannot open: errno text", "FILE:LINE:COL: what".
    static ConfigFile load(const std::filesystem::path& path,
                           const ConfigSchema& schema = offstage_config_schema());
    // Parses and checks `text`; `source_name` stands for the file in messages.
    static ConfigFile parse(std::string_view text, std::string source_name,
                            const ConfigSchema& schema = offstage_config_schema());

    const std::string& source_name() const { return source_name_; }
    bool has_section(std::string_view name) const;

    // A [section] of the table; an absent one reads as empty (every key absent).
    ConfigTable section(std::string_view name) const;
    // The entries of a [[section]] of the table, in file order; none when absent.
    std::vector<ConfigTable> entries(std::string_view name) const;

private:
    ConfigFile(std::shared_ptr<const ConfigDocument> document, const ConfigSchema& schema,
               std::string source_name)
        : document_(std::move(document))
        , schema_(&schema)
        , source_name_(std::move(source_name)) {}
    const ConfigSection& section_row(std::string_view name, bool array_of_tables) const;

    std::shared_ptr<const ConfigDocument> document_;
    const ConfigSchema* schema_;
    std::string source_name_;
};

} // namespace offstage::platform
