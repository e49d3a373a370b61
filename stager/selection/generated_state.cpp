#include "stager/selection/generated_state.hpp"

namespace offstage::selection {

GeneratedState GeneratedState::load(const std::filesystem::path& root,
                                    const std::filesystem::path& admindir,
                                    const manifests::UsrMergeAliases& aliases) {
    return GeneratedState(manifests::AlternativesDatabase::load(admindir / "alternatives", aliases),
                          manifests::UcfRegistry::load(root, aliases));
}

GeneratedState::GeneratedState(manifests::AlternativesDatabase alternatives,
                               manifests::UcfRegistry ucf)
    : alternatives_(std::move(alternatives))
    , ucf_(std::move(ucf)) {
    describe();
}

void GeneratedState::describe() {
    for (const manifests::Alternative& alternative : alternatives_.alternatives()) {
        alternative_descriptions_.push_back("alternatives link (" + alternative.file + ")");
    }
    for (const manifests::UcfFile& file : ucf_.files()) {
        ucf_descriptions_.push_back("ucf-managed (" + file.registration + ")");
    }
}

const std::string* GeneratedState::expected_by(std::string_view path) const {
    if (const manifests::Alternative* alternative = alternatives_.find_link(path)) {
        return &alternative_descriptions_[static_cast<std::size_t>(
            alternative - alternatives_.alternatives().data())];
    }
    if (const manifests::UcfFile* file = ucf_.find(path)) {
        return &ucf_descriptions_[static_cast<std::size_t>(file - ucf_.files().data())];
    }
    return nullptr;
}

} // namespace offstage::selection
