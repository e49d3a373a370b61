// /etc/offstage/offstage.toml, parsed with toml++ (TOML 1.0). Every accessor names the file, the
// section and the key in its error, and a value of the wrong type is an error, never a
// silent default: a bad config must refuse, not fall back to something permissive.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
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

class ConfigFile {
public:
    static constexpr const char* default_path = "/etc/offstage/offstage.toml";

    // Reads and parses the file. Throws ConfigError ("FILE:LINE:COL: what") on a syntax
    // error, or ("FILE: errno text") when it cannot be read.
    static ConfigFile load(const std::filesystem::path& path);
    // Parses text; `source_name` stands for the file in messages.
    static ConfigFile parse(std::string_view text, std::string source_name);

    const std::string& source_name() const { return source_name_; }
    bool has_section(std::string_view section) const;

    // Each returns nullopt when the key is absent and throws ConfigError when it is
    // present with another type (or the section is not a table).
    std::optional<std::string> string(std::string_view section, std::string_view key) const;
    std::optional<std::int64_t> integer(std::string_view section, std::string_view key) const;
    std::optional<bool> boolean(std::string_view section, std::string_view key) const;
    std::optional<std::vector<std::string>> strings(std::string_view section,
                                                    std::string_view key) const;
    // An absolute path (a relative one is an error: the program's cwd is not the admin's).
    std::optional<std::filesystem::path> absolute_path(std::string_view section,
                                                       std::string_view key) const;

    // Throws ConfigError naming the first key of `section` not in `known`: a typo in a
    // security setting must not be ignored.
    void reject_unknown_keys(std::string_view section,
                             std::initializer_list<std::string_view> known) const;

    // The names of the top-level tables, for checks of unknown sections.
    std::vector<std::string> sections() const;

private:
    // toml++ is a large header: only config_file.cpp includes it.
    struct Document;
    ConfigFile(std::shared_ptr<const Document> document, std::string source_name);
    void check_section(std::string_view section) const;
    [[noreturn]] void fail(std::string_view section, std::string_view key,
                           std::string_view what) const;

    std::shared_ptr<const Document> document_;
    std::string source_name_;
};

} // namespace offstage::platform
