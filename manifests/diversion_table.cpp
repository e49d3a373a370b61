#include "manifests/diversion_table.hpp"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace offstage::manifests {

DiversionTable DiversionTable::parse(std::string_view text, const std::string& source_name,
                                     const UsrMergeAliases& aliases) {
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        lines.emplace_back(text.substr(start, end - start));
        start = end + 1;
    }
    if (lines.size() % 3 != 0) {
        throw std::runtime_error(source_name + ":" + std::to_string(lines.size()) +
                                 ": truncated diversion (expected 3 lines per diversion: from, "
                                 "to, package)");
    }
    DiversionTable table;
    for (std::size_t i = 0; i < lines.size(); i += 3) {
        if (lines[i].empty() || lines[i][0] != '/' || lines[i + 1].empty() ||
            lines[i + 1][0] != '/') {
            throw std::runtime_error(source_name + ":" + std::to_string(i + 1) +
                                     ": expected two absolute paths and a package name");
        }
        std::string package = lines[i + 2] == ":" ? std::string() : lines[i + 2];
        table.diversions_.push_back(
            {aliases.canonical(lines[i]), aliases.canonical(lines[i + 1]), std::move(package)});
    }
    for (std::size_t i = 0; i < table.diversions_.size(); ++i) {
        table.by_from_.emplace(table.diversions_[i].from, i);
    }
    return table;
}

DiversionTable DiversionTable::load(const std::filesystem::path& admindir,
                                    const UsrMergeAliases& aliases) {
    std::filesystem::path file = admindir / "diversions";
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        if (errno == ENOENT) {
            return {};
        }
        throw std::system_error(errno, std::generic_category(), "open " + file.string());
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw std::system_error(errno, std::generic_category(), "read " + file.string());
    }
    return parse(text.str(), file.string(), aliases);
}

const Diversion* DiversionTable::find(std::string_view path) const {
    auto it = by_from_.find(std::string(path));
    return it == by_from_.end() ? nullptr : &diversions_[it->second];
}

std::string_view DiversionTable::location(std::string_view path, std::string_view package) const {
    const Diversion* diversion = find(path);
    if (diversion == nullptr) {
        return path;
    }
    // dpkg compares the package name without its architecture qualifier.
    std::string_view bare = package.substr(0, package.find(':'));
    if (!diversion->package.empty() && diversion->package == bare) {
        return path;
    }
    return diversion->to;
}

} // namespace offstage::manifests
