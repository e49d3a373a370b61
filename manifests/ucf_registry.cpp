#include "manifests/ucf_registry.hpp"

#include "manifests/root_directory.hpp"
#include "platform/system_error.hpp"

#include <cerrno>
#include <fcntl.h>
#include <functional>
#include <stdexcept>
#include <unistd.h>

namespace offstage::manifests {

namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

// Calls `line` for every line with its 1-based number; a last line without '\n' counts (the
// registry is written by shell `echo`, the hashfile by md5sum: both terminate lines, but a
// truncated file should still be read up to where it stops).
void for_each_line(std::string_view text,
                   const std::function<void(std::string_view, std::size_t)>& line) {
    std::size_t number = 0;
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos) {
            end = text.size();
        }
        line(text.substr(start, end - start), ++number);
        start = end + 1;
    }
}

bool is_blank(std::string_view line) {
    for (char c : line) {
        if (!is_space(c)) {
            return false;
        }
    }
    return true;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

// Reads ROOT/path, resolved inside the root; returns false when the file does not exist.
bool read_optional(const RootDirectory& root, std::string_view path, std::string& text) {
    platform::UniqueFd fd = root.open(path, O_RDONLY);
    if (!fd) {
        if (errno == ENOENT) {
            return false;
        }
        platform::throw_errno("open " + root.host_path(path));
    }
    char buffer[65536];
    while (true) {
        ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            platform::throw_errno("read " + root.host_path(path));
        }
        if (n == 0) {
            return true;
        }
        text.append(buffer, static_cast<std::size_t>(n));
    }
}

} // namespace

UcfRegistry UcfRegistry::parse(std::string_view registry, const std::string& registry_name,
                               std::string_view hashfile, const std::string& hashfile_name,
                               const UsrMergeAliases& aliases) {
    auto fail = [](const std::string& file, std::size_t line, const std::string& message) {
        throw std::runtime_error(file + ":" + std::to_string(line) + ": " + message);
    };

    UcfRegistry result;
    for_each_line(registry, [&](std::string_view line, std::size_t number) {
        if (is_blank(line)) {
            return;
        }
        std::size_t gap = 0;
        while (gap < line.size() && !is_space(line[gap])) {
            ++gap;
        }
        std::size_t path_start = gap;
        while (path_start < line.size() && is_space(line[path_start])) {
            ++path_start;
        }
        if (gap == 0 || gap == line.size() || path_start == line.size() ||
            line[path_start] != '/') {
            fail(registry_name, number,
                 "expected 'PACKAGE PATH' (a package name, whitespace, an absolute path)");
        }
        UcfFile file;
        file.package = std::string(line.substr(0, gap));
        file.path = aliases.canonical(line.substr(path_start));
        file.registration = registry_name + ":" + std::to_string(number);
        auto [it, added] = result.by_path_.emplace(file.path, result.files_.size());
        if (added) {
            result.files_.push_back(std::move(file));
        } else {
            result.files_[it->second] = std::move(file);
        }
    });

    for_each_line(hashfile, [&](std::string_view line, std::size_t number) {
        if (is_blank(line)) {
            return;
        }
        // md5sum marks a line whose file name it escaped with a leading backslash.
        bool escaped = line.front() == '\\';
        if (escaped) {
            line.remove_prefix(1);
        }
        bool valid = line.size() > 35 && line[32] == ' ' && (line[33] == ' ' || line[33] == '*');
        for (std::size_t i = 0; valid && i < 32; ++i) {
            valid = is_hex(line[i]);
        }
        if (!valid || line[34] != '/') {
            fail(hashfile_name, number,
                 "expected 'MD5  PATH' (32 lowercase hex digits, two spaces, an absolute path)");
        }
        std::string path;
        std::string_view name = line.substr(34);
        for (std::size_t i = 0; i < name.size(); ++i) {
            if (escaped && name[i] == '\\') {
                if (i + 1 < name.size() && (name[i + 1] == '\\' || name[i + 1] == 'n')) {
                    path += name[i + 1] == 'n' ? '\n' : '\\';
                    ++i;
                    continue;
                }
                fail(hashfile_name, number, "bad escape in an escaped md5sum line");
            }
            path += name[i];
        }
        auto it = result.by_path_.find(aliases.canonical(path));
        if (it != result.by_path_.end()) {
            // ucf records one hash per file; it is not a registration, only its pristine state.
            result.files_[it->second].md5 = std::string(line.substr(0, 32));
        }
    });
    return result;
}

UcfRegistry UcfRegistry::load(const std::filesystem::path& root, const UsrMergeAliases& aliases) {
    // Inside the root, as ucf there would read them: a symlinked /var/lib/ucf cannot make a
    // scan (or `policy explain`) read the host's files.
    RootDirectory directory(root);
    const std::string_view registry_file = "/var/lib/ucf/registry";
    const std::string_view hash_file = "/var/lib/ucf/hashfile";
    std::string registry, hashes;
    bool has_registry = read_optional(directory, registry_file, registry);
    read_optional(directory, hash_file, hashes);
    if (!has_registry) {
        return {}; // without ucfr's registry no file is known to be ucf's
    }
    return parse(registry, directory.host_path(registry_file), hashes,
                 directory.host_path(hash_file), aliases);
}

const UcfFile* UcfRegistry::find(std::string_view path) const {
    auto it = by_path_.find(std::string(path));
    return it == by_path_.end() ? nullptr : &files_[it->second];
}

} // namespace offstage::manifests
