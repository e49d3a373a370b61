#include "stager/archive/beneath_path.hpp"

namespace offstage::archive {

namespace {

std::string join(const std::vector<std::string>& components, std::size_t count) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) {
        if (i > 0) {
            text += '/';
        }
        text += components[i];
    }
    return text;
}

} // namespace

std::optional<BeneathPath> BeneathPath::parse(std::string_view name, std::string& why) {
    if (name.empty()) {
        why = "an empty name";
        return std::nullopt;
    }
    if (name.front() == '/') {
        why = "an absolute path";
        return std::nullopt;
    }
    BeneathPath path;
    while (!name.empty()) {
        const std::size_t slash = name.find('/');
        const std::string_view component = name.substr(0, slash);
        if (component == "..") {
            why = "a '..' component";
            return std::nullopt;
        }
        if (!component.empty() && component != ".") {
            path.components_.emplace_back(component);
        }
        name.remove_prefix(slash == std::string_view::npos ? name.size() : slash + 1);
    }
    return path;
}

std::string BeneathPath::parent_text() const {
    return join(components_, components_.empty() ? 0 : components_.size() - 1);
}

std::string BeneathPath::text() const {
    return join(components_, components_.size());
}

} // namespace offstage::archive
