// toml++ header-only and without exceptions, in this one translation unit: parse errors come
// back as values and become ConfigError with file, line and column. Not the shared
// libtomlplusplus: Debian builds it with exceptions, whose ABI (toml::v3::ex) differs from the
// noex one, and header-only keeps offstage-shell free of one more shared library.
#define TOML_EXCEPTIONS 0
#define TOML_HEADER_ONLY 1
#include "platform/config_file.hpp"

#include "platform/bech32.hpp"
#include "platform/config_limits.hpp"
#include "platform/config_text_bounds.hpp"
#include "platform/printable_name.hpp"
#include "platform/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <tuple>
#include <unistd.h>

namespace offstage::platform {

struct ConfigDocument {
    toml::table root;
    std::string display_name; // the source name, escaped
};

namespace {

// Why `text` is not an "age1..." recipient as age itself reads it (a valid Bech32 checksum, the
// "age" prefix, a 32-byte key), or nullopt. A secret key is never echoed.
std::optional<std::string> age_recipient_problem(std::string_view text) {
    if (text.starts_with("AGE-SECRET-KEY-")) {
        return std::string(" holds a secret key (AGE-SECRET-KEY-...), not a recipient: remove it "
                           "from this file and give its public key (offstage key recipient)");
    }
    std::string shown = ": \"" + printable_name(text, 12) + "\"";
    std::optional<Bech32Decoded> decoded = decode_bech32(text);
    if (!decoded) {
        return shown + " is not a valid age recipient (bad Bech32 or checksum)";
    }
    if (decoded->hrp != "age") {
        return shown + " is not an age X25519 recipient (expected \"age1...\")";
    }
    if (decoded->data.size() != 32) {
        return shown + " does not hold a 32-byte X25519 key";
    }
    return std::nullopt;
}

std::string position(const ConfigDocument& document, const toml::source_region& where) {
    std::string text = document.display_name;
    if (where.begin.line != 0) {
        text += ':' + std::to_string(where.begin.line) + ':' + std::to_string(where.begin.column);
    }
    return text;
}

// The first problem in file order is reported: toml++ keeps a table's keys sorted by name.
class Problems {
public:
    void add(const toml::source_region& where, std::string what) {
        ++count_;
        auto key = std::make_tuple(where.begin.line, where.begin.column);
        if (count_ == 1 || key < std::make_tuple(first_at_.begin.line, first_at_.begin.column)) {
            first_at_ = where;
            first_ = std::move(what);
        }
    }
    void throw_first(const ConfigDocument& document) const {
        if (count_ == 0) {
            return;
        }
        std::string message = position(document, first_at_) + ": " + first_;
        if (count_ > 1) {
            message += " (and " + std::to_string(count_ - 1) + " more problem" +
                       (count_ > 2 ? "s" : "") + " after it)";
        }
        throw ConfigError(message);
    }

private:
    std::size_t count_ = 0;
    toml::source_region first_at_;
    std::string first_;
};

std::string quoted(std::string_view name) {
    return "'" + printable_name(name, 64) + "'";
}

bool is_absolute(std::string_view path) {
    return !path.empty() && path.front() == '/';
}

// Checks one value against its row; adds a problem at the value (or at the faulty element).
void check_value(const toml::node& node, const ConfigKey& row, const std::string& name,
                 Problems& problems) {
    auto fail = [&](const toml::node& at, const std::string& detail = "") {
        problems.add(at.source(), name + " must be " + describe_type(row) + detail);
    };
    auto string_of = [](const toml::node& value) -> const std::string* {
        const auto* text = value.as_string();
        return text == nullptr ? nullptr : &text->get();
    };
    // A NUL would cut a path or argument short where the C library reads it.
    auto has_nul = [](const std::string& text) { return text.find('\0') != std::string::npos; };

    switch (row.type) {
    case ConfigType::string:
    case ConfigType::choice:
    case ConfigType::absolute_path:
    case ConfigType::optional_path: {
        const std::string* text = string_of(node);
        if (text == nullptr) {
            return fail(node);
        }
        if (has_nul(*text)) {
            return fail(node, " without a NUL byte");
        }
        if (row.type == ConfigType::choice &&
            std::find(row.choices.begin(), row.choices.end(), *text) == row.choices.end()) {
            return fail(node, ", not \"" + printable_name(*text, 64) + "\"");
        }
        if ((row.type == ConfigType::absolute_path ||
             (row.type == ConfigType::optional_path && !text->empty())) &&
            !is_absolute(*text)) {
            return fail(node, ", not \"" + printable_name(*text, 64) + "\"");
        }
        return;
    }
    case ConfigType::integer:
    case ConfigType::thread_count: {
        const auto* value = node.as_integer();
        if (value == nullptr) {
            return fail(node);
        }
        std::int64_t min = row.type == ConfigType::integer ? row.min : 0;
        std::int64_t max = row.type == ConfigType::integer ? row.max : thread_limit();
        if (value->get() < min || value->get() > max) {
            return fail(node, ", not " + std::to_string(value->get()));
        }
        return;
    }
    case ConfigType::boolean:
        if (!node.is_boolean()) {
            fail(node);
        }
        return;
    case ConfigType::strings:
    case ConfigType::absolute_paths:
    case ConfigType::command:
    case ConfigType::age_recipients: {
        const toml::array* array = node.as_array();
        if (array == nullptr || (row.type == ConfigType::command && array->empty())) {
            return fail(node);
        }
        for (std::size_t i = 0; i < array->size(); ++i) {
            const toml::node& element = *array->get(i);
            const std::string* text = string_of(element);
            if (text == nullptr) {
                return fail(element);
            }
            if (has_nul(*text)) {
                return fail(element, " without a NUL byte");
            }
            bool path = row.type == ConfigType::absolute_paths ||
                        (row.type == ConfigType::command && i == 0);
            if (path && !is_absolute(*text)) {
                return fail(element, ", not \"" + printable_name(*text, 64) + "\"");
            }
            if (row.type == ConfigType::age_recipients) {
                if (std::optional<std::string> problem = age_recipient_problem(*text)) {
                    // The same words as the stager's age code: both programs say one thing.
                    problems.add(element.source(), name + *problem);
                    return;
                }
            }
        }
        return;
    }
    }
}

void check_table(const toml::table& table, const ConfigSection& section, Problems& problems) {
    const std::string label = section_label(section);
    for (const auto& [key, node] : table) {
        const ConfigKey* row = section.find(key.str());
        if (row == nullptr) {
            problems.add(key.source(), label + " unknown key " + quoted(key.str()));
        } else {
            check_value(node, *row, label + " " + std::string(row->name), problems);
        }
    }
    for (const ConfigKey& row : section.keys) {
        if (row.required && !table.contains(row.name)) {
            problems.add(table.source(), label + " lacks the key '" + std::string(row.name) +
                                             "', which it must give");
        }
    }
}

void check_document(const toml::table& root, const ConfigSchema& schema, Problems& problems) {
    for (const auto& [key, node] : root) {
        const ConfigSection* section = schema.find(key.str());
        if (section == nullptr) {
            if (node.is_table() || node.is_array_of_tables()) {
                problems.add(key.source(), "unknown section [" + printable_name(key.str(), 64) +
                                               "] (the sections are " + schema.section_list() +
                                               ")");
            } else {
                problems.add(key.source(), "key " + quoted(key.str()) +
                                               " outside any section (the sections are " +
                                               schema.section_list() + ")");
            }
            continue;
        }
        const std::string label = section_label(*section);
        if (section->array_of_tables) {
            const toml::array* array = node.as_array();
            if (array == nullptr || !(array->empty() || array->is_array_of_tables())) {
                problems.add(key.source(), label + " must be an array of tables: write " + label +
                                               " above each entry");
                continue;
            }
            for (const toml::node& entry : *array) {
                check_table(*entry.as_table(), *section, problems);
            }
        } else if (const toml::table* table = node.as_table()) {
            check_table(*table, *section, problems);
        } else {
            problems.add(key.source(),
                         label + " must be a table" +
                             (node.is_array_of_tables() ? ", not [" + label + "]" : std::string()));
        }
    }
}

} // namespace

// The toml++ node behind a ConfigTable's key, checked against the table's row.
struct ConfigTableAccess {
    static const toml::table* table(const ConfigTable& view) {
        const toml::node* node = view.document_->root.get(view.section_->name);
        if (node == nullptr) {
            return nullptr;
        }
        if (view.section_->array_of_tables) {
            const toml::node* entry = node->as_array()->get(view.entry_);
            return entry == nullptr ? nullptr : entry->as_table();
        }
        return node->as_table();
    }

    static const toml::node* node(const ConfigTable& view, std::string_view key,
                                  std::initializer_list<ConfigType> fitting) {
        const ConfigKey* row = view.section_->find(key);
        if (row == nullptr ||
            std::find(fitting.begin(), fitting.end(), row->type) == fitting.end()) {
            throw std::logic_error("offstage reads " + view.name(key) +
                                   (row == nullptr ? ", which is not in the key table"
                                                   : " through an accessor of another type"));
        }
        const toml::table* values = table(view);
        return values == nullptr ? nullptr : values->get(key);
    }
};

std::optional<std::string> ConfigTable::string(std::string_view key) const {
    const toml::node* node =
        ConfigTableAccess::node(*this, key,
                                {ConfigType::string, ConfigType::choice, ConfigType::absolute_path,
                                 ConfigType::optional_path});
    if (node == nullptr) {
        return std::nullopt;
    }
    return node->as_string()->get();
}

std::optional<std::int64_t> ConfigTable::integer(std::string_view key) const {
    const toml::node* node =
        ConfigTableAccess::node(*this, key, {ConfigType::integer, ConfigType::thread_count});
    if (node == nullptr) {
        return std::nullopt;
    }
    return node->as_integer()->get();
}

std::optional<bool> ConfigTable::boolean(std::string_view key) const {
    const toml::node* node = ConfigTableAccess::node(*this, key, {ConfigType::boolean});
    if (node == nullptr) {
        return std::nullopt;
    }
    return node->as_boolean()->get();
}

std::optional<std::vector<std::string>> ConfigTable::strings(std::string_view key) const {
    const toml::node* node =
        ConfigTableAccess::node(*this, key,
                                {ConfigType::strings, ConfigType::absolute_paths,
                                 ConfigType::command, ConfigType::age_recipients});
    if (node == nullptr) {
        return std::nullopt;
    }
    std::vector<std::string> values;
    for (const toml::node& element : *node->as_array()) {
        values.push_back(element.as_string()->get());
    }
    return values;
}

std::optional<std::filesystem::path> ConfigTable::path(std::string_view key) const {
    const toml::node* node =
        ConfigTableAccess::node(*this, key, {ConfigType::absolute_path, ConfigType::optional_path});
    if (node == nullptr) {
        return std::nullopt;
    }
    return std::filesystem::path(node->as_string()->get());
}

std::string ConfigTable::where(std::string_view key) const {
    const toml::table* values = ConfigTableAccess::table(*this);
    const toml::node* node = values == nullptr ? nullptr : values->get(key);
    if (node != nullptr) {
        return position(*document_, node->source());
    }
    return values == nullptr ? document_->display_name : position(*document_, values->source());
}

std::string ConfigTable::where(std::string_view key, std::size_t index) const {
    const toml::table* values = ConfigTableAccess::table(*this);
    const toml::node* node = values == nullptr ? nullptr : values->get(key);
    const toml::array* array = node == nullptr ? nullptr : node->as_array();
    if (array != nullptr && index < array->size()) {
        return position(*document_, array->get(index)->source());
    }
    return where(key);
}

std::string ConfigTable::name(std::string_view key) const {
    return section_label(*section_) + " " + printable_name(key, 64);
}

ConfigFile ConfigFile::load(const std::filesystem::path& path, const ConfigSchema& schema) {
    const std::string name = printable_name(path.string(), 4096);
    // O_NONBLOCK: a FIFO given as --config must be refused below, not waited on.
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) {
        throw ConfigError(name + ": cannot open: " + std::strerror(errno));
    }
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0) {
        throw ConfigError(name + ": cannot stat: " + std::strerror(errno));
    }
    if (!S_ISREG(info.st_mode)) {
        throw ConfigError(name + ": not a regular file" +
                          (S_ISDIR(info.st_mode) ? " (a directory)" : ""));
    }
    // A regular file: reads need not be non-blocking (and some file systems would honour it).
    int flags = ::fcntl(fd.get(), F_GETFL);
    if (flags >= 0) {
        ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    }
    if (info.st_size > static_cast<off_t>(max_config_bytes)) {
        throw ConfigError(name + ": larger than " + std::to_string(max_config_bytes) + " bytes");
    }
    // Read at most one byte past the bound: a file that grows meanwhile is refused too.
    std::string text(max_config_bytes + 1, '\0');
    std::size_t got = 0;
    while (got < text.size()) {
        ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            throw ConfigError(name + ": read error: " + std::strerror(errno));
        }
        if (n == 0) {
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    text.resize(got);
    return parse(text, path.string(), schema);
}

ConfigFile ConfigFile::parse(std::string_view text, std::string source_name,
                             const ConfigSchema& schema) {
    check_config_text_bounds(text, source_name);
    auto document = std::make_shared<ConfigDocument>();
    document->display_name = printable_name(source_name, 4096);
    toml::parse_result result = toml::parse(text, source_name);
    if (!result) {
        const toml::parse_error& error = result.error();
        throw ConfigError(position(*document, error.source()) + ": " +
                          printable_message(error.description()));
    }
    document->root = std::move(result).table();
    Problems problems;
    check_document(document->root, schema, problems);
    problems.throw_first(*document);
    return ConfigFile(std::move(document), schema, std::move(source_name));
}

bool ConfigFile::has_section(std::string_view name) const {
    return document_->root.contains(name);
}

const ConfigSection& ConfigFile::section_row(std::string_view name, bool array_of_tables) const {
    const ConfigSection* row = schema_->find(name);
    if (row == nullptr || row->array_of_tables != array_of_tables) {
        throw std::logic_error(
            "offstage reads the section " + printable_name(name, 64) +
            (row == nullptr ? ", which is not in the key table" : " as the wrong kind of section"));
    }
    return *row;
}

ConfigTable ConfigFile::section(std::string_view name) const {
    return ConfigTable(document_, section_row(name, false), 0);
}

std::vector<ConfigTable> ConfigFile::entries(std::string_view name) const {
    const ConfigSection& row = section_row(name, true);
    std::vector<ConfigTable> tables;
    if (const toml::array* array = document_->root.get_as<toml::array>(name)) {
        for (std::size_t i = 0; i < array->size(); ++i) {
            tables.push_back(ConfigTable(document_, row, i));
        }
    }
    return tables;
}

} // namespace offstage::platform
