#include "platform/staging_layout.hpp"

namespace offstage::platform::staging_layout {

namespace {

bool digits(std::string_view text) {
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

int number(std::string_view text) {
    int value = 0;
    for (char c : text) {
        value = value * 10 + (c - '0');
    }
    return value;
}

} // namespace

bool is_day_name(std::string_view name) {
    if (name.size() != 10 || name[4] != '-' || name[7] != '-' || !digits(name.substr(0, 4)) ||
        !digits(name.substr(5, 2)) || !digits(name.substr(8, 2))) {
        return false;
    }
    int year = number(name.substr(0, 4));
    int month = number(name.substr(5, 2));
    int day = number(name.substr(8, 2));
    if (year < 1970 || month < 1 || month > 12 || day < 1) {
        return false;
    }
    static constexpr int days_in_month[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    int last = days_in_month[month - 1] + (month == 2 && leap ? 1 : 0);
    return day <= last;
}

bool is_fenced_name(std::string_view name) {
    return name.starts_with(work_dir_fence);
}

std::filesystem::path default_work_root(const std::filesystem::path& staging_root) {
    std::filesystem::path root = staging_root.lexically_normal();
    if (!root.has_filename()) {
        root = root.parent_path();
    }
    return root.string() + ".work";
}

} // namespace offstage::platform::staging_layout
