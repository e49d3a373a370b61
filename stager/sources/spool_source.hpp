// `spool-NAME`: a directory that a program writes under a lock file (the seed's spamd), archived
// as spool-NAME.tar.zst.age while offstage holds that lock (an exclusive flock, waited for up to
// a budget). A lock never released within the budget fails this source, named, and the rest of
// the run goes on. An unchanged spool reuses the previous tree's artifact.
#pragma once

#include "stager/sources/source.hpp"

#include <chrono>
#include <filesystem>
#include <string>

namespace offstage::sources {

struct SpoolSettings {
    std::string name;                // [[spool]] name: the artifact is spool-NAME (encoded)
    std::filesystem::path directory; // archived recursively, symlinks as symlinks
    std::filesystem::path lock_file; // empty: no lock; missing: nobody holds it
    std::chrono::milliseconds lock_timeout{std::chrono::minutes(5)};
};

class SpoolSource : public Source {
public:
    explicit SpoolSource(SpoolSettings settings);
    std::string name() const override;
    std::string kind() const override { return "spool"; }
    void produce(staging::ArtifactWriter& writer, report::SourceResult& result) override;

private:
    SpoolSettings settings_;
};

} // namespace offstage::sources
