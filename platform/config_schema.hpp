// The key table of a TOML configuration: every section and every key, each listed once with its
// type (and range or choices). ConfigFile checks a whole document against a table before any
// program reads a value, so an unknown section or key, a key outside a section, a wrong type, an
// out-of-range integer or a relative path is a ConfigError naming FILE:LINE:COL, whichever
// program reads the file. offstage.toml's own table is in config_table.cpp: a new section or key
// is a new row there (in the spirit of ccache's k_config_key_table).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace offstage::platform {

enum class ConfigType {
    string,         // any string
    choice,         // a string, one of `choices`
    absolute_path,  // a string starting with '/': the program's cwd is not the admin's
    optional_path,  // an absolute path, or "" for none
    integer,        // an integer in min..max
    thread_count,   // an integer in 0..thread_limit() (config_limits.hpp); 0: one per usable CPU
    boolean,        // true or false
    strings,        // an array of strings
    absolute_paths, // an array of strings, each an absolute path
    command,        // an argv: a non-empty array of strings, the first an absolute path
    age_recipients, // an array of age X25519 recipients ("age1...", Bech32 of 32 bytes)
};

struct ConfigKey {
    std::string_view name;
    ConfigType type;
    std::int64_t min = 0; // ConfigType::integer: the range, both ends included
    std::int64_t max = 0;
    std::span<const std::string_view> choices = {}; // ConfigType::choice
    bool required = false; // the section (each entry, for an array of tables) must give it
};

struct ConfigSection {
    std::string_view name;
    std::span<const ConfigKey> keys;
    // [[name]]: the section is an array of tables, each entry a table of `keys` (the same data
    // as `name = [{...}, ...]`, which is accepted too).
    bool array_of_tables = false;
    // Its presence turns a source on ([mariadb]): the shipped file shows it commented out.
    bool enables = false;

    const ConfigKey* find(std::string_view key) const;
};

// A whole file: its sections. Every key belongs to one; none lives at the top level.
struct ConfigSchema {
    std::span<const ConfigSection> sections;

    const ConfigSection* find(std::string_view section) const;
    // "[staging], [shell], ..." for messages.
    std::string section_list() const;
};

// The table of /etc/offstage/offstage.toml (config_table.cpp), read by both programs.
const ConfigSchema& offstage_config_schema();

// What a value of `key` must be, for messages: "an integer in 1..19", "an absolute path".
std::string describe_type(const ConfigKey& key);

// "[name]" or "[[name]]".
std::string section_label(const ConfigSection& section);

} // namespace offstage::platform
