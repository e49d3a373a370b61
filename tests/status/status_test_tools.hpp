// The real checkers the status tests run: Debian's python3 with html5lib (the page) and
// prometheus_client's parser (the textfile), through the scripts of this folder.
#pragma once

#include "tests/support/run_command.hpp"

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace offstage::test {

inline constexpr const char* debian_python = "/usr/bin/python3";

inline std::filesystem::path status_script(const std::string& name) {
    return std::filesystem::path(OFFSTAGE_SOURCE_DIR) / "tests" / "status" / name;
}

// Empty when the module is there; else why the test must skip.
inline std::string python_module_missing(const std::string& module) {
    CommandResult result = run_command({debian_python, "-c", "import " + module});
    return result.exit_status == 0 ? "" : "python3 module " + module + " is not installed";
}

// check_html.py's verdict: "" when the page is valid, else its messages.
inline std::string html_problems(const std::filesystem::path& page) {
    CommandResult result = run_command({debian_python, status_script("check_html.py"), page});
    return result.exit_status == 0 ? "" : result.out + result.err;
}

// parse_metrics.py's samples ("name{labels}" -> value); throws with its message on a parse error.
inline nlohmann::json parsed_metrics(const std::string& file_or_url) {
    CommandResult result =
        run_command({debian_python, status_script("parse_metrics.py"), file_or_url});
    if (result.exit_status != 0) {
        throw std::runtime_error("parse_metrics.py " + file_or_url + ": " + result.out +
                                 result.err);
    }
    return nlohmann::json::parse(result.out);
}

} // namespace offstage::test
