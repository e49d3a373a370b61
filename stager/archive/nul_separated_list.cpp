#include "stager/archive/nul_separated_list.hpp"

namespace offstage::archive {

std::optional<std::string> NulSeparatedList::next() {
    std::string item;
    for (;;) {
        while (position_ < filled_) {
            char c = static_cast<char>(buffer_[position_++]);
            if (c == '\0') {
                if (!item.empty()) {
                    return item;
                }
                continue;
            }
            item.push_back(c);
        }
        if (ended_) {
            break;
        }
        filled_ = in_.read(buffer_);
        position_ = 0;
        ended_ = filled_ == 0;
    }
    if (!item.empty()) {
        return item;
    }
    return std::nullopt;
}

} // namespace offstage::archive
