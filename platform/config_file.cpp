// toml++ header-only and without exceptions, in this one translation unit: parse errors come
// back as values and become ConfigError with file, line and column. Not the shared
// libtomlplusplus: Debian builds it with exceptions, whose ABI (toml::v3::ex) differs from the
// noex one, and header-only keeps offstage-shell free of one more shared library.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include "platform/config_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace offstage::platform {

struct ConfigFile::Document {
    toml::table table;
};

namespace {

const toml::node* find_node(const toml::table& table, std::string_view section,
                            std::string_view key) {
    const toml::table* section_table = table.get_as<toml::table>(section);
    return section_table == nullptr ? nullptr : section_table->get(key);
}

} // namespace

ConfigFile::ConfigFile(std::shared_ptr<const Document> document, std::string source_name)
    : document_(std::move(document))
    , source_name_(std::move(source_name)) {}

ConfigFile ConfigFile::load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(path.string() + ": cannot read: " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw ConfigError(path.string() + ": read error: " + std::strerror(errno));
    }
    return parse(text.str(), path.string());
}

ConfigFile ConfigFile::parse(std::string_view text, std::string source_name) {
    toml::parse_result result = toml::parse(text, source_name);
    if (!result) {
        const toml::parse_error& error = result.error();
        std::ostringstream message;
        message << source_name << ':' << error.source().begin.line << ':'
                << error.source().begin.column << ": " << error.description();
        throw ConfigError(message.str());
    }
    auto document = std::make_shared<Document>(Document{std::move(result).table()});
    return ConfigFile(std::move(document), std::move(source_name));
}

bool ConfigFile::has_section(std::string_view section) const {
    return document_->table.get_as<toml::table>(section) != nullptr;
}

void ConfigFile::check_section(std::string_view section) const {
    const toml::node* node = document_->table.get(section);
    if (node != nullptr && !node->is_table()) {
        fail(section, "", "is not a table");
    }
}

std::vector<std::string> ConfigFile::sections() const {
    std::vector<std::string> names;
    for (const auto& [key, node] : document_->table) {
        names.emplace_back(key.str());
    }
    return names;
}

void ConfigFile::fail(std::string_view section, std::string_view key, std::string_view what) const {
    std::ostringstream message;
    message << source_name_;
    const toml::node* node =
        key.empty() ? document_->table.get(section) : find_node(document_->table, section, key);
    if (node != nullptr && node->source().begin.line != 0) {
        message << ':' << node->source().begin.line << ':' << node->source().begin.column;
    }
    message << ": [" << section << "]";
    if (!key.empty()) {
        message << ' ' << key;
    }
    message << ' ' << what;
    throw ConfigError(message.str());
}

std::optional<std::string> ConfigFile::string(std::string_view section,
                                              std::string_view key) const {
    check_section(section);
    const toml::node* node = find_node(document_->table, section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_string()) {
        return value->get();
    }
    fail(section, key, "must be a string");
}

std::optional<std::int64_t> ConfigFile::integer(std::string_view section,
                                                std::string_view key) const {
    check_section(section);
    const toml::node* node = find_node(document_->table, section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_integer()) {
        return value->get();
    }
    fail(section, key, "must be an integer");
}

std::optional<bool> ConfigFile::boolean(std::string_view section, std::string_view key) const {
    check_section(section);
    const toml::node* node = find_node(document_->table, section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    if (const auto* value = node->as_boolean()) {
        return value->get();
    }
    fail(section, key, "must be true or false");
}

std::optional<std::vector<std::string>> ConfigFile::strings(std::string_view section,
                                                            std::string_view key) const {
    check_section(section);
    const toml::node* node = find_node(document_->table, section, key);
    if (node == nullptr) {
        return std::nullopt;
    }
    const toml::array* array = node->as_array();
    if (array == nullptr) {
        fail(section, key, "must be an array of strings");
    }
    std::vector<std::string> values;
    for (const toml::node& element : *array) {
        const auto* value = element.as_string();
        if (value == nullptr) {
            fail(section, key, "must be an array of strings");
        }
        values.push_back(value->get());
    }
    return values;
}

std::optional<std::filesystem::path> ConfigFile::absolute_path(std::string_view section,
                                                               std::string_view key) const {
    std::optional<std::string> value = string(section, key);
    if (!value) {
        return std::nullopt;
    }
    if (value->empty() || value->front() != '/') {
        fail(section, key, "must be an absolute path");
    }
    return std::filesystem::path(*value);
}

void ConfigFile::reject_unknown_keys(std::string_view section,
                                     std::initializer_list<std::string_view> known) const {
    const toml::table* section_table = document_->table.get_as<toml::table>(section);
    if (section_table == nullptr) {
        return;
    }
    for (const auto& [key, node] : *section_table) {
        bool is_known = false;
        for (std::string_view name : known) {
            is_known = is_known || key.str() == name;
        }
        if (!is_known) {
            std::ostringstream message;
            message << source_name_;
            if (node.source().begin.line != 0) {
                message << ':' << node.source().begin.line << ':' << node.source().begin.column;
            }
            message << ": [" << section << "] unknown key '" << key.str() << "'";
            throw ConfigError(message.str());
        }
    }
}

} // namespace offstage::platform
