#include "stager/staging/artifact_name.hpp"

#include <cstddef>

namespace offstage::staging {

namespace {

bool is_plain(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool is_component(std::string_view component) {
    if (component.empty() || component.size() > 200) {
        return false;
    }
    char first = component.front();
    if (!((first >= 'a' && first <= 'z') || (first >= '0' && first <= '9') || first == '%')) {
        return false;
    }
    for (char c : component) {
        if (!is_plain(c) && c != '%') {
            return false;
        }
    }
    return true;
}

} // namespace

std::string encode_name_component(std::string_view external) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string encoded;
    encoded.reserve(external.size());
    for (std::size_t i = 0; i < external.size(); ++i) {
        char c = external[i];
        bool leading_special = i == 0 && (c == '.' || c == '_' || c == '-');
        if (is_plain(c) && !leading_special) {
            encoded.push_back(c);
        } else {
            auto byte = static_cast<unsigned char>(c);
            encoded.push_back('%');
            encoded.push_back(hex[byte >> 4]);
            encoded.push_back(hex[byte & 0xf]);
        }
    }
    return encoded;
}

bool is_artifact_name(std::string_view name) {
    if (!name.ends_with(".age")) {
        return false;
    }
    int components = 0;
    std::size_t start = 0;
    while (true) {
        std::size_t slash = name.find('/', start);
        std::string_view component = name.substr(
            start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
        if (!is_component(component) || ++components > 3) {
            return false;
        }
        if (slash == std::string_view::npos) {
            return true;
        }
        start = slash + 1;
    }
}

} // namespace offstage::staging
