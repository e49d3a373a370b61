#include "manifests/alternatives_database.hpp"

#include "platform/system_error.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <dirent.h>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

namespace offstage::manifests {

namespace {

// Hands out the lines of a file with their numbers; every line must end with '\n', as
// update-alternatives requires ("line not terminated").
class LineReader {
public:
    LineReader(std::string_view text, const std::string& file)
        : text_(text)
        , file_(file) {}

    std::string next(const char* what) {
        if (position_ >= text_.size()) {
            fail(line_ + 1, std::string("unexpected end of file while reading the ") + what);
        }
        std::size_t end = text_.find('\n', position_);
        ++line_;
        if (end == std::string_view::npos) {
            fail(line_, std::string("line not terminated while reading the ") + what);
        }
        std::string line(text_.substr(position_, end - position_));
        position_ = end + 1;
        return line;
    }
    std::size_t line() const { return line_; }
    [[noreturn]] void fail(std::size_t line, const std::string& message) const {
        throw std::runtime_error(file_ + ":" + std::to_string(line) + ": " + message);
    }

private:
    std::string_view text_;
    const std::string& file_;
    std::size_t position_ = 0;
    std::size_t line_ = 0;
};

void require_absolute(const LineReader& reader, const std::string& link, const char* what) {
    if (link.empty() || link.front() != '/') {
        reader.fail(reader.line(), std::string(what) + " '" + link + "' is not an absolute path");
    }
}

} // namespace

std::optional<Alternative> AlternativesDatabase::parse(std::string_view text,
                                                       const std::string& name,
                                                       const std::string& file,
                                                       const UsrMergeAliases& aliases) {
    if (text.empty()) {
        return std::nullopt;
    }
    LineReader reader(text, file);
    std::string status = reader.next("status");
    if (status != "auto" && status != "manual") {
        reader.fail(reader.line(), "invalid status '" + status + "' (expected auto or manual)");
    }
    std::string master = reader.next("master link");
    require_absolute(reader, master, "master link");

    std::vector<std::string> links = {master};
    std::set<std::string> slave_names;
    for (;;) {
        std::string slave = reader.next("slave name");
        if (slave.empty()) {
            break;
        }
        if (!slave_names.insert(slave).second) {
            reader.fail(reader.line(), "duplicate slave name " + slave);
        }
        std::string link = reader.next("slave link");
        require_absolute(reader, link, "slave link");
        if (link == master) {
            reader.fail(reader.line(), "slave link same as main link " + master);
        }
        if (std::find(links.begin(), links.end(), link) != links.end()) {
            reader.fail(reader.line(), "duplicate slave link " + link);
        }
        links.push_back(std::move(link));
    }

    // The choices are not needed to know the links, but reading them checks the whole file
    // the way update-alternatives would before trusting it.
    std::set<std::string> choices;
    for (;;) {
        std::string choice = reader.next("master file");
        if (choice.empty()) {
            break;
        }
        if (!choices.insert(choice).second) {
            reader.fail(reader.line(), "duplicate path " + choice);
        }
        std::string priority = reader.next("priority");
        char* end = nullptr;
        errno = 0;
        long value = std::strtol(priority.c_str(), &end, 10);
        if (priority.empty() || *end != '\0') {
            reader.fail(reader.line(),
                        "priority of " + choice + ": '" + priority + "' is not an integer");
        }
        if (errno == ERANGE || value < INT_MIN || value > INT_MAX) {
            reader.fail(reader.line(), "priority of " + choice + " is out of range: " + priority);
        }
        for (std::size_t i = 1; i < links.size(); ++i) {
            reader.next("slave file"); // empty when this choice has no such slave
        }
    }

    Alternative alternative;
    alternative.name = name;
    alternative.file = file;
    for (const std::string& link : links) {
        alternative.links.push_back(aliases.canonical(link));
    }
    return alternative;
}

AlternativesDatabase AlternativesDatabase::load(const std::filesystem::path& directory,
                                                const UsrMergeAliases& aliases) {
    AlternativesDatabase database;
    DIR* handle = ::opendir(directory.c_str());
    if (handle == nullptr) {
        if (errno == ENOENT) {
            return database;
        }
        platform::throw_errno("open alternatives database " + directory.string());
    }
    std::vector<std::string> names;
    errno = 0;
    while (const struct dirent* entry = ::readdir(handle)) {
        std::string_view name(entry->d_name);
        if (name == "." || name == ".." ||
            (name.size() > 9 && name.substr(name.size() - 9) == ".dpkg-tmp")) {
            continue;
        }
        names.emplace_back(name);
    }
    int read_error = errno;
    ::closedir(handle);
    if (read_error != 0) {
        platform::throw_errno(read_error, "read alternatives database " + directory.string());
    }
    std::sort(names.begin(), names.end());

    for (const std::string& name : names) {
        std::string file = (directory / name).string();
        struct stat info {};
        if (::stat(file.c_str(), &info) != 0) {
            platform::throw_errno("stat " + file);
        }
        if (!S_ISREG(info.st_mode)) {
            continue; // update-alternatives would fail on it too; nothing to read
        }
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            platform::throw_errno("open " + file);
        }
        std::ostringstream text;
        text << in.rdbuf();
        if (in.bad()) {
            platform::throw_errno("read " + file);
        }
        if (std::optional<Alternative> alternative = parse(text.str(), name, file, aliases)) {
            database.alternatives_.push_back(std::move(*alternative));
        }
    }
    for (std::size_t i = 0; i < database.alternatives_.size(); ++i) {
        for (const std::string& link : database.alternatives_[i].links) {
            database.by_link_.emplace(link, i);
        }
    }
    return database;
}

const Alternative* AlternativesDatabase::find_link(std::string_view path) const {
    auto it = by_link_.find(std::string(path));
    return it == by_link_.end() ? nullptr : &alternatives_[it->second];
}

} // namespace offstage::manifests
