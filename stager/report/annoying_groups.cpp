#include "stager/report/annoying_groups.hpp"

#include <algorithm>
#include <array>
#include <map>

namespace offstage::report {
namespace {

// Directories that many packages, programs or people put things into: a group is never one of
// these (accepting /var/lib/ would silence every future surprise below it), but the directory
// one level below. Sorted in byte order (checked by a test through is_shared_directory).
constexpr std::array<std::string_view, 58> shared_directories{
    "/boot",                   // kernels and boot loaders of every package
    "/etc",                    // every package's configuration
    "/etc/apt",                // apt's configuration, sources and keys
    "/etc/apt/apt.conf.d",     //
    "/etc/apt/preferences.d",  //
    "/etc/apt/sources.list.d", // one file per repository
    "/etc/apt/trusted.gpg.d",  // one key per repository
    "/etc/cron.d",             // one crontab per package or admin job
    "/etc/cron.daily",         //
    "/etc/cron.hourly",        //
    "/etc/cron.monthly",       //
    "/etc/cron.weekly",        //
    "/etc/default",            // one file per service
    "/etc/init.d",             // one script per service
    "/etc/logrotate.d",        // one file per log
    "/etc/modprobe.d",         //
    "/etc/network",            //
    "/etc/pam.d",              // one file per service
    "/etc/profile.d",          //
    "/etc/security",           //
    "/etc/ssh",                // keys and drop-ins of unrelated origins
    "/etc/ssl",                //
    "/etc/ssl/certs",          //
    "/etc/ssl/private",        //
    "/etc/sudoers.d",          //
    "/etc/sysctl.d",           //
    "/etc/systemd",            //
    "/etc/systemd/system",     // units and drop-ins of every service
    "/etc/udev",               //
    "/etc/udev/rules.d",       //
    "/home",                   // one directory per user
    "/media",                  //
    "/mnt",                    //
    "/opt",                    // one directory per add-on package
    "/root",                   // root's home: files of unrelated purposes
    "/srv",                    // one directory per site or service
    "/usr",                    //
    "/usr/bin",                //
    "/usr/include",            //
    "/usr/lib",                // one directory per package
    "/usr/libexec",            //
    "/usr/local",              // the admin's own software, by kind
    "/usr/local/bin",          //
    "/usr/local/etc",          //
    "/usr/local/include",      //
    "/usr/local/lib",          //
    "/usr/local/sbin",         //
    "/usr/local/share",        //
    "/usr/sbin",               //
    "/usr/share",              // one directory per package
    "/usr/share/doc",          //
    "/var",                    //
    "/var/backups",            //
    "/var/cache",              // one directory per program
    "/var/lib",                // one directory per program: /var/lib/postgresql/ is a group
    "/var/log",                // one file or directory per program
    "/var/spool",              //
    "/var/www",                // one directory per site
};

bool starts_with(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

} // namespace

bool is_shared_directory(std::string_view directory) {
    if (directory.empty() || directory == "/") {
        return true;
    }
    if (std::binary_search(shared_directories.begin(), shared_directories.end(), directory)) {
        return true;
    }
    // Patterns the table cannot list: the multiarch library directories
    // (/usr/lib/x86_64-linux-gnu) and Python's module trees (/usr/lib/python3/dist-packages,
    // /usr/local/lib/python3.11/site-packages), each shared by many packages.
    std::size_t slash = directory.rfind('/');
    std::string_view parent = directory.substr(0, slash);
    std::string_view name = directory.substr(slash + 1);
    if ((parent == "/usr/lib" || parent == "/usr/local/lib") &&
        (name.find("-linux-") != std::string_view::npos || starts_with(name, "python3"))) {
        return true;
    }
    if ((name == "dist-packages" || name == "site-packages") &&
        (starts_with(parent, "/usr/lib/python3") ||
         starts_with(parent, "/usr/local/lib/python3"))) {
        return true;
    }
    return false;
}

std::string annoying_group_of(std::string_view path) {
    // Walk the ancestors from the top; the group is the child of the deepest shared one.
    std::size_t group_end = std::string_view::npos; // end of the group's directory in `path`
    std::size_t end = path.find('/', 1);
    bool below_shared = true; // the root is shared
    while (end != std::string_view::npos) {
        if (below_shared) {
            group_end = end; // this ancestor is the child of a shared one
        }
        below_shared = is_shared_directory(path.substr(0, end));
        end = path.find('/', end + 1);
    }
    if (below_shared) {
        return std::string(path); // right inside a shared directory: the file itself
    }
    return std::string(path.substr(0, group_end + 1));
}

std::vector<AnnoyingGroup> group_annoying_files(const std::vector<std::string>& annoying,
                                                const std::vector<std::string>& new_files) {
    std::vector<std::string> fresh(new_files);
    std::sort(fresh.begin(), fresh.end());
    // Group of each path, with one representative path for groups of one.
    struct Tally {
        std::size_t files = 0;
        std::size_t new_files = 0;
        const std::string* only = nullptr;
    };
    std::map<std::string, Tally> tallies;
    for (const std::string& path : annoying) {
        Tally& tally = tallies[annoying_group_of(path)];
        ++tally.files;
        tally.new_files += std::binary_search(fresh.begin(), fresh.end(), path) ? 1 : 0;
        tally.only = &path;
    }
    std::vector<AnnoyingGroup> groups;
    groups.reserve(tallies.size());
    for (const auto& [group, tally] : tallies) {
        AnnoyingGroup entry;
        entry.files = tally.files;
        entry.new_files = tally.new_files;
        entry.directory = tally.files > 1 && group.back() == '/';
        // One file in a directory group: the narrowest rule names the file.
        entry.path = entry.directory ? group : *tally.only;
        groups.push_back(std::move(entry));
    }
    std::sort(groups.begin(), groups.end(), [](const AnnoyingGroup& a, const AnnoyingGroup& b) {
        if (a.is_new() != b.is_new()) {
            return a.is_new();
        }
        if (a.files != b.files) {
            return a.files > b.files;
        }
        return a.path < b.path;
    });
    return groups;
}

std::string shell_quoted(std::string_view path) {
    auto plain = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("/._+,:@%=-").find(static_cast<char>(c)) != std::string_view::npos;
    };
    auto printable = [](unsigned char c) { return c >= 0x20 && c < 0x7f; };
    if (!path.empty() && std::all_of(path.begin(), path.end(), plain)) {
        return std::string(path);
    }
    if (std::all_of(path.begin(), path.end(), printable) &&
        path.find('\'') == std::string_view::npos) {
        return "'" + std::string(path) + "'";
    }
    std::string quoted = "$'";
    for (char c : path) {
        auto byte = static_cast<unsigned char>(c);
        if (printable(byte) && c != '\'' && c != '\\') {
            quoted += c;
        } else {
            static constexpr char digits[] = "01234567";
            quoted += '\\';
            quoted += digits[(byte >> 6) & 7];
            quoted += digits[(byte >> 3) & 7];
            quoted += digits[byte & 7];
        }
    }
    return quoted + "'";
}

std::string accept_command(const AnnoyingGroup& group, std::string_view verdict,
                           std::string_view config_path) {
    std::string command = "offstage ";
    if (!config_path.empty()) {
        command += "--config " + shell_quoted(config_path) + " ";
    }
    return command + "policy accept " + shell_quoted(group.path) + " --as " + std::string(verdict);
}

} // namespace offstage::report
