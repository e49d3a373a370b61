#include "platform/config_schema.hpp"

#include "platform/config_limits.hpp"

namespace offstage::platform {

const ConfigKey* ConfigSection::find(std::string_view key) const {
    for (const ConfigKey& row : keys) {
        if (row.name == key) {
            return &row;
        }
    }
    return nullptr;
}

const ConfigSection* ConfigSchema::find(std::string_view section) const {
    for (const ConfigSection& row : sections) {
        if (row.name == section) {
            return &row;
        }
    }
    return nullptr;
}

std::string ConfigSchema::section_list() const {
    std::string list;
    for (const ConfigSection& section : sections) {
        list += (list.empty() ? "" : ", ") + section_label(section);
    }
    return list;
}

std::string section_label(const ConfigSection& section) {
    std::string name(section.name);
    return section.array_of_tables ? "[[" + name + "]]" : "[" + name + "]";
}

std::string describe_type(const ConfigKey& key) {
    switch (key.type) {
    case ConfigType::string:
        return "a string";
    case ConfigType::choice: {
        std::string text = "one of";
        for (std::size_t i = 0; i < key.choices.size(); ++i) {
            text += (i == 0 ? " \"" : ", \"") + std::string(key.choices[i]) + "\"";
        }
        return text;
    }
    case ConfigType::absolute_path:
        return "an absolute path";
    case ConfigType::optional_path:
        return "an absolute path, or \"\" for none";
    case ConfigType::integer:
        return "an integer in " + std::to_string(key.min) + ".." + std::to_string(key.max);
    case ConfigType::thread_count:
        return "an integer in 0.." + std::to_string(thread_limit()) + " (at most " +
               std::to_string(threads_per_cpu) + " per usable CPU, and " +
               std::to_string(max_threads) + ")";
    case ConfigType::boolean:
        return "true or false";
    case ConfigType::strings:
        return "an array of strings";
    case ConfigType::absolute_paths:
        return "an array of strings, each an absolute path";
    case ConfigType::command:
        return "a non-empty array of strings whose first word is an absolute path";
    case ConfigType::age_recipients:
        return "an array of age recipients (age1...)";
    }
    return "?";
}

} // namespace offstage::platform
