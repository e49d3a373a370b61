#include "tests/fresh-system/fresh_system.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <gtest/gtest.h>
#include <map>
#include <signal.h>
#include <sstream>

namespace offstage::test::fresh {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> result;
    for (std::string word; in >> word;) {
        result.push_back(word);
    }
    return result;
}

std::string today() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char text[16];
    std::strftime(text, sizeof text, "%Y-%m-%d", &utc);
    return text;
}

// SIGKILLs every process whose root directory is `root` (what chroot(8) started there).
void kill_processes_inside(const fs::path& root) {
    std::error_code error;
    for (const auto& entry : fs::directory_iterator("/proc", error)) {
        std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::error_code ignored;
        if (fs::read_symlink(entry.path() / "root", ignored) == root) {
            ::kill(std::stoi(name), SIGKILL);
        }
    }
}

} // namespace

fs::path cache_directory() {
    return OFFSTAGE_FRESH_SYSTEM_CACHE;
}

fs::path cached_root() {
    return cache_directory() / (std::string(suite) + "-" + today() + ".tar.zst");
}

fs::path built_root() {
    fs::path newest;
    std::error_code error;
    for (const auto& entry : fs::directory_iterator(cache_directory(), error)) {
        std::string name = entry.path().filename().string();
        if (name.starts_with(std::string(suite) + "-") && name.ends_with(".tar.zst") &&
            (newest.empty() || entry.path().filename() > newest.filename())) {
            newest = entry.path();
        }
    }
    return newest;
}

fs::path deb_directory() {
    return cache_directory().parent_path() / "deb";
}

std::string mirror_for(const std::string& suite_name) {
    std::vector<fs::path> files;
    if (fs::exists("/etc/apt/sources.list")) {
        files.push_back("/etc/apt/sources.list");
    }
    std::vector<fs::path> parts;
    if (fs::is_directory("/etc/apt/sources.list.d")) {
        for (const auto& entry : fs::directory_iterator("/etc/apt/sources.list.d")) {
            std::string name = entry.path().filename().string();
            if (name.ends_with(".list") || name.ends_with(".sources")) {
                parts.push_back(entry.path());
            }
        }
    }
    std::sort(parts.begin(), parts.end());
    files.insert(files.end(), parts.begin(), parts.end());

    for (const fs::path& file : files) {
        std::ifstream in(file);
        if (file.extension() == ".sources") {
            // deb822: paragraphs of "Field: value" lines separated by blank lines.
            std::map<std::string, std::string> fields;
            auto paragraph_mirror = [&]() -> std::string {
                auto types = words(fields["types"]);
                auto suites = words(fields["suites"]);
                auto uris = words(fields["uris"]);
                bool enabled = fields.count("enabled") == 0 || fields["enabled"] != "no";
                if (enabled && std::count(types.begin(), types.end(), "deb") != 0 &&
                    std::count(suites.begin(), suites.end(), suite_name) != 0 && !uris.empty()) {
                    return uris.front();
                }
                return "";
            };
            std::string line;
            std::string last_field;
            while (true) {
                bool more = static_cast<bool>(std::getline(in, line));
                if (!more || line.find_first_not_of(" \t") == std::string::npos) {
                    std::string mirror = paragraph_mirror();
                    if (!mirror.empty()) {
                        return mirror;
                    }
                    fields.clear();
                    if (!more) {
                        break;
                    }
                    continue;
                }
                if (line.front() == '#') {
                    continue;
                }
                if (line.front() == ' ' || line.front() == '\t') {
                    fields[last_field] += " " + line; // a continuation line
                    continue;
                }
                auto colon = line.find(':');
                if (colon == std::string::npos) {
                    continue;
                }
                last_field = line.substr(0, colon);
                std::transform(last_field.begin(), last_field.end(), last_field.begin(),
                               [](unsigned char c) { return std::tolower(c); });
                fields[last_field] = line.substr(colon + 1);
            }
        } else {
            // One-line style: deb [options] URI SUITE COMPONENT...
            for (std::string line; std::getline(in, line);) {
                auto parts_of_line = words(line.substr(0, line.find('#')));
                if (parts_of_line.size() < 3 || parts_of_line[0] != "deb") {
                    continue;
                }
                std::size_t i = 1;
                if (parts_of_line[i].front() == '[') {
                    while (i < parts_of_line.size() && parts_of_line[i].back() != ']') {
                        ++i;
                    }
                    ++i;
                }
                if (i + 1 < parts_of_line.size() && parts_of_line[i + 1] == suite_name) {
                    return parts_of_line[i];
                }
            }
        }
    }
    return "";
}

void unmount_below(const fs::path& target) {
    std::ifstream mounts("/proc/self/mounts");
    std::vector<std::string> below;
    for (std::string line; std::getline(mounts, line);) {
        auto fields = words(line);
        if (fields.size() > 1 && fields[1].rfind(target.string() + "/", 0) == 0) {
            below.push_back(fields[1]);
        }
    }
    std::sort(below.rbegin(), below.rend()); // deepest first
    for (const std::string& mount_point : below) {
        run_command({"umount", "-l", mount_point});
    }
}

std::string tail(const std::string& text, std::size_t bytes) {
    return text.size() <= bytes ? text : text.substr(text.size() - bytes);
}

std::vector<Record> parse_records(const std::string& bytes) {
    std::vector<std::string> fields;
    std::size_t begin = 0;
    while (begin < bytes.size()) {
        std::size_t end = bytes.find('\0', begin);
        if (end == std::string::npos) {
            ADD_FAILURE() << "scan output does not end with NUL";
            break;
        }
        fields.push_back(bytes.substr(begin, end - begin));
        begin = end + 1;
    }
    EXPECT_EQ(fields.size() % 3, 0U) << "records are kind, detail, path";
    std::vector<Record> records;
    for (std::size_t i = 0; i + 2 < fields.size(); i += 3) {
        records.push_back({fields[i], fields[i + 1], fields[i + 2]});
    }
    return records;
}

std::set<std::string> paths(const std::vector<Record>& records, const std::string& kind,
                            const std::string& detail) {
    std::set<std::string> result;
    for (const Record& record : records) {
        if (record.kind == kind && record.detail == detail) {
            result.insert(record.path);
        }
    }
    return result;
}

std::string listing(const std::set<std::string>& set) {
    std::string text;
    for (const std::string& path : set) {
        text += "  " + path + "\n";
    }
    return text;
}

ChrootSystem::ChrootSystem(const std::string& name)
    : directory_("offstage-" + name)
    , root_(directory_ / "root") {
    fs::create_directory(root_);
    CommandOptions long_running;
    long_running.timeout = std::chrono::seconds(600);
    auto unpack = run_command({"tar", "--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls",
                               "--zstd", "-C", root_.string(), "-xpf", built_root().string()},
                              long_running);
    if (unpack.exit_status != 0) {
        throw std::runtime_error("tar -x " + built_root().string() + ": " + unpack.err);
    }
    // The suite, its point-release updates and its security archive, from the mirrors apt on
    // this machine uses; written as the installer writes them (one-line sources.list).
    std::string sources;
    for (const std::string& part :
         {std::string(suite), std::string(suite) + "-updates", std::string(suite) + "-security"}) {
        if (std::string mirror = mirror_for(part); !mirror.empty()) {
            sources += "deb " + mirror + " " + part + " main\n";
        }
    }
    write_file(host_path("/etc/apt/sources.list"), sources);
    fs::path archives = cache_directory() / "apt-archives";
    fs::create_directories(archives / "partial");
    for (const auto& mount : std::vector<std::vector<std::string>>{
             {"mount", "-t", "proc", "proc", host_path("/proc").string()},
             {"mount", "-t", "devpts", "-o", "newinstance,ptmxmode=0666", "devpts",
              host_path("/dev/pts").string()},
             {"mount", "--bind", archives.string(),
              host_path("/var/cache/apt/archives").string()}}) {
        auto result = run_command(mount);
        if (result.exit_status != 0) {
            unmount_below(root_);
            throw std::runtime_error(mount.back() + ": mount failed: " + result.err);
        }
    }
}

ChrootSystem::~ChrootSystem() {
    // Whatever still runs inside (an sshd session, a daemon a maintainer script started
    // despite policy-rc.d) keeps mounts busy: stop it first.
    kill_processes_inside(root_);
    unmount_below(root_);
}

CommandResult ChrootSystem::sh(const std::string& script, int timeout_seconds,
                               const std::string& stdin_data) const {
    CommandOptions options;
    options.timeout = std::chrono::seconds(timeout_seconds);
    options.stdin_data = stdin_data;
    options.environment =
        std::map<std::string, std::string>{{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"},
                                           {"HOME", "/root"},
                                           {"LC_ALL", "C.UTF-8"},
                                           {"DEBIAN_FRONTEND", "noninteractive"},
                                           {"DEBCONF_NONINTERACTIVE_SEEN", "true"}};
    return run_command({"/usr/sbin/chroot", root_.string(), "/bin/sh", "-ec", script}, options);
}

CommandResult ChrootSystem::apt(const std::string& arguments, int timeout_seconds) const {
    fs::path policy = host_path("/usr/sbin/policy-rc.d");
    write_file(policy,
               "#!/bin/sh\n# offstage tests: no service starts inside the chroot\nexit 101\n",
               fs::perms(0755));
    auto result = sh("apt-get -y -q -o Dpkg::Use-Pty=0 " + arguments, timeout_seconds);
    fs::remove(policy);
    return result;
}

std::vector<Record> ChrootSystem::scan() const {
    auto result = sh("exec /usr/sbin/offstage scan --format null", 600);
    EXPECT_EQ(result.exit_status, 0) << "offstage scan inside the root: " << result.err;
    return parse_records(result.out);
}

} // namespace offstage::test::fresh
