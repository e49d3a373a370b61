#include "stager/age/key_file.hpp"

#include "stager/age/age_error.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <openssl/crypto.h>
#include <string>

namespace offstage::age {

std::string_view trim_white_space(std::string_view text) {
    constexpr std::string_view space = " \t\r\n\v\f";
    auto begin = text.find_first_not_of(space);
    if (begin == std::string_view::npos) {
        return {};
    }
    return text.substr(begin, text.find_last_not_of(space) - begin + 1);
}

void read_key_file(const std::filesystem::path& path, std::string_view kind,
                   const std::function<void(std::string_view)>& parse_line) {
    std::ifstream file(path);
    if (!file) {
        throw AgeError("cannot open " + std::string(kind) + " file " + path.string() + ": " +
                       std::strerror(errno));
    }
    std::size_t keys = 0;
    std::string line;
    for (std::size_t number = 1; std::getline(file, line); ++number) {
        std::string_view text = trim_white_space(line);
        if (text.empty() || text.starts_with('#')) {
            continue;
        }
        try {
            parse_line(text);
            ++keys;
        } catch (const AgeError& error) {
            OPENSSL_cleanse(line.data(), line.size());
            throw AgeError(path.string() + ":" + std::to_string(number) + ": " + error.what());
        }
        OPENSSL_cleanse(line.data(), line.size());
    }
    OPENSSL_cleanse(line.data(), line.size());
    if (file.bad()) {
        throw AgeError("reading " + std::string(kind) + " file " + path.string() +
                       " failed: " + std::strerror(errno));
    }
    if (keys == 0) {
        throw AgeError(path.string() + ": no " + std::string(kind) + " in the file");
    }
}

} // namespace offstage::age
