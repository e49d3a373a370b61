// A fresh directory under $TMPDIR (or /tmp), removed with everything below it on destruction.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace offstage::test {

class TempDir {
public:
    explicit TempDir(std::string_view prefix = "offstage-test");
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::filesystem::path& child) const {
        return path_ / child;
    }

private:
    std::filesystem::path path_;
};

// Writes `content` to `path` (creating parent directories) and returns the path.
std::filesystem::path write_file(const std::filesystem::path& path, std::string_view content,
                                 std::filesystem::perms mode = std::filesystem::perms(0644));
// The whole file as bytes; throws naming the path on error.
std::string read_file(const std::filesystem::path& path);

} // namespace offstage::test
