// An archive entry's name as a path below the extraction target: the one place where names
// from an archive are split and checked. An absolute name, a '..' component or an empty name
// does not stay below the target and is refused; empty and '.' components are dropped, so
// "./etc//hosts" is etc/hosts and "." (or "./") is the target itself.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace offstage::archive {

class BeneathPath {
public:
    // The path, or nullopt with `why` saying what would leave the target ("an absolute path").
    static std::optional<BeneathPath> parse(std::string_view name, std::string& why);

    // No components: the name is the target directory itself.
    bool is_target() const { return components_.empty(); }
    const std::vector<std::string>& components() const { return components_; }
    // The last component; the path must not be the target.
    const std::string& leaf() const { return components_.back(); }
    // The components joined with '/', without the leaf ("" for an entry at the top).
    std::string parent_text() const;
    // All components joined with '/'.
    std::string text() const;

private:
    std::vector<std::string> components_;
};

} // namespace offstage::archive
