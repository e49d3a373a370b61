// libFuzzer target over the configuration reader both programs share (platform's ConfigFile):
// the raw-text bounds, toml++, and the check of the whole document against a key table.
// Each input is read against offstage.toml's own table and against a table with an array of
// tables ([[spool]]), as the run's sources will use.
//
// Properties, checked on every input (abort on violation):
// - the input either loads or throws ConfigError: nothing else escapes, nothing crashes
//   (ASan, UBSan; a deep header once overflowed the stack inside toml++);
// - what loads holds only what the table allows: every key of every row reads through its
//   accessor, absolute paths start with '/', integers are in range, choices are among theirs,
//   no string holds a NUL, an argv is not empty.
// Built as a libFuzzer binary with OFFSTAGE_FUZZ=ON, and otherwise as a replay of the seed
// corpus (replay_main.cpp).
#include "platform/config_file.hpp"
#include "platform/config_limits.hpp"
#include "platform/config_schema.hpp"
#include "platform/printable_name.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

using namespace offstage::platform;

constexpr std::array spool_keys{
    ConfigKey{.name = "name", .type = ConfigType::string, .required = true},
    ConfigKey{.name = "path", .type = ConfigType::absolute_path, .required = true},
    ConfigKey{.name = "lock_file", .type = ConfigType::optional_path},
    ConfigKey{.name = "lock_timeout", .type = ConfigType::integer, .min = 0, .max = 3600},
    ConfigKey{.name = "command", .type = ConfigType::command},
};
constexpr std::array run_keys{
    ConfigKey{.name = "keep_days", .type = ConfigType::integer, .min = 1, .max = 365},
    ConfigKey{.name = "mail", .type = ConfigType::boolean},
    ConfigKey{.name = "skip", .type = ConfigType::absolute_paths},
};
constexpr std::array spool_sections{
    ConfigSection{.name = "run", .keys = run_keys},
    ConfigSection{.name = "spool", .keys = spool_keys, .array_of_tables = true},
};
constexpr ConfigSchema spool_schema{.sections = spool_sections};

[[noreturn]] void violated(const std::string& what, const std::string& input) {
    std::fprintf(stderr, "PROPERTY VIOLATED: %s\n  input: %s\n", what.c_str(),
                 offstage::platform::printable_name(input, 4096).c_str());
    std::abort();
}

void check_string(const std::string& value, bool path, const std::string& input) {
    if (value.find('\0') != std::string::npos) {
        violated("a NUL in a string", input);
    }
    if (path && (value.empty() || value.front() != '/')) {
        violated("a relative path: " + value, input);
    }
}

// Reads every key of `row` in `table` through its accessor and checks the value.
void check_key(const ConfigTable& table, const ConfigKey& row, const std::string& input) {
    (void)table.where(row.name);
    switch (row.type) {
    case ConfigType::string:
    case ConfigType::choice:
    case ConfigType::absolute_path:
    case ConfigType::optional_path:
        if (auto value = table.string(row.name)) {
            check_string(*value,
                         row.type == ConfigType::absolute_path ||
                             (row.type == ConfigType::optional_path && !value->empty()),
                         input);
            if (row.type == ConfigType::choice &&
                std::find(row.choices.begin(), row.choices.end(), *value) == row.choices.end()) {
                violated("a choice outside its values: " + *value, input);
            }
        }
        if (row.type == ConfigType::absolute_path || row.type == ConfigType::optional_path) {
            (void)table.path(row.name);
        }
        return;
    case ConfigType::integer:
    case ConfigType::thread_count:
        if (auto value = table.integer(row.name)) {
            std::int64_t min = row.type == ConfigType::integer ? row.min : 0;
            std::int64_t max = row.type == ConfigType::integer ? row.max : thread_limit();
            if (*value < min || *value > max) {
                violated("an integer out of range: " + std::to_string(*value), input);
            }
        }
        return;
    case ConfigType::boolean:
        (void)table.boolean(row.name);
        return;
    case ConfigType::strings:
    case ConfigType::absolute_paths:
    case ConfigType::command:
    case ConfigType::age_recipients:
        if (auto values = table.strings(row.name)) {
            if (row.type == ConfigType::command && values->empty()) {
                violated("an empty argv", input);
            }
            for (std::size_t i = 0; i < values->size(); ++i) {
                check_string((*values)[i],
                             row.type == ConfigType::absolute_paths ||
                                 (row.type == ConfigType::command && i == 0),
                             input);
                (void)table.where(row.name, i);
            }
        }
        return;
    }
}

void check(const std::string& input, const ConfigSchema& schema) {
    try {
        ConfigFile file = ConfigFile::parse(input, "fuzz.toml", schema);
        for (const ConfigSection& section : schema.sections) {
            std::vector<ConfigTable> tables;
            if (section.array_of_tables) {
                tables = file.entries(section.name);
            } else {
                tables.push_back(file.section(section.name));
            }
            for (const ConfigTable& table : tables) {
                for (const ConfigKey& row : section.keys) {
                    check_key(table, row, input);
                }
            }
        }
    } catch (const ConfigError&) {
        // Refused with a message: the outcome the property allows besides loading.
    } catch (const std::exception& error) {
        violated(std::string("an exception other than ConfigError: ") + error.what(), input);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    check(input, offstage_config_schema());
    check(input, spool_schema);
    return 0;
}
