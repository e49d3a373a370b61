// `offstage-shell --check`: what can be verified of a deployment from the login user's side.
// Prints one line per finding ("ok", "warn" or "FAIL", then what) and returns 0 when nothing
// failed, ExitStatus::config_error otherwise.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>

namespace offstage::forced_shell {

class DeploymentCheck {
public:
    DeploymentCheck(std::filesystem::path config, std::optional<std::filesystem::path> keys,
                    std::filesystem::path self)
        : config_(std::move(config))
        , keys_(std::move(keys))
        , self_(std::move(self)) {}

    int run(std::ostream& out);

private:
    void ok(std::ostream& out, const std::string& what);
    void warn(std::ostream& out, const std::string& what);
    void fail(std::ostream& out, const std::string& what);
    void check_authorized_keys(std::ostream& out);

    std::filesystem::path config_;
    std::optional<std::filesystem::path> keys_;
    std::filesystem::path self_;
    bool failed_ = false;
};

} // namespace offstage::forced_shell
