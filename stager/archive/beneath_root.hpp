// Finds the directory holding each path of a list without ever following a symlink on the way:
// a path is walked from "/" (a relative one from the working directory) one component at a time,
// each directory opened with openat(O_PATH | O_DIRECTORY | O_NOFOLLOW) from the one above. A
// directory swapped for a symlink after the list was made (by a user who owns its parent) is
// then a problem to report, never a way into somewhere else. The descriptors of the directories
// above the last path are kept, so that the entries of one directory, and of its neighbours,
// cost one lookup each, as an archive's parents-first order asks.
#pragma once

#include "platform/unique_fd.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace offstage::archive {

class BeneathRoot {
public:
    // Where a path's last component lives: `directory` and `name` belong to the BeneathRoot
    // and stay valid until the next locate(). When `problem` is not empty the path cannot be
    // reached (it says why, for a FileProblem) and the rest is unset.
    struct Location {
        int directory = -1;
        const char* name = nullptr;
        std::string problem;
    };

    BeneathRoot();
    BeneathRoot(const BeneathRoot&) = delete;
    BeneathRoot& operator=(const BeneathRoot&) = delete;

    // `path` must have no ".." component (the caller refuses those). Empty and "." components
    // are skipped; a path of none ("/", ".") is located as "." in itself.
    Location locate(const std::string& path);

private:
    struct Level {
        std::string name;
        platform::UniqueFd fd; // empty for levels deeper than kept_depth, except the last
    };
    int base_fd() const;
    std::string unreachable(int above, const std::string& name, std::size_t number,
                            int error) const;

    platform::UniqueFd root_;
    bool relative_ = false;               // the levels below are those of the working directory
    std::vector<Level> levels_;           // the directories from the base down to the last parent
    std::vector<std::string_view> parts_; // of the path being located (kept for its memory)
    std::string last_;                    // its last component
};

} // namespace offstage::archive
