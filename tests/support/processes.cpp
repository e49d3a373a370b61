#include "tests/support/processes.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace offstage::test {

std::string read_proc_file(const fs::path& path) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return text;
    }
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
    }
    ::close(fd);
    return got < 0 ? std::string() : text;
}

std::string command_line(pid_t pid) {
    return read_proc_file("/proc/" + std::to_string(pid) + "/cmdline");
}

bool has_ended(pid_t pid) {
    std::string stat = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    std::size_t name_end = stat.rfind(')');
    if (name_end == std::string::npos || name_end + 2 >= stat.size()) {
        return true;
    }
    char state = stat[name_end + 2];
    return state == 'Z' || state == 'X';
}

std::vector<pid_t> processes_mentioning(const std::string& text) {
    std::vector<pid_t> found;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        auto pid = static_cast<pid_t>(std::stol(name));
        if (command_line(pid).find(text) != std::string::npos && !has_ended(pid)) {
            found.push_back(pid);
        }
    }
    return found;
}

} // namespace offstage::test
