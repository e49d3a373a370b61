#include "stager/sources/spool_source.hpp"

#include "platform/unique_fd.hpp"
#include "stager/sources/files_source.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <thread>

namespace offstage::sources {

namespace {

// Every path below `directory` (itself first), in byte order, without following symlinks.
// Unreadable directories are problems of the result.
std::vector<std::string> spool_paths(const std::filesystem::path& directory,
                                     report::SourceResult& result) {
    std::vector<std::string> paths{directory.string()};
    std::error_code error;
    std::filesystem::recursive_directory_iterator walk(
        directory, std::filesystem::directory_options::skip_permission_denied, error);
    if (error) {
        result.fail(report::ReasonCode::input_unreadable,
                    directory.string() + ": " + error.message());
        return {};
    }
    for (; walk != std::filesystem::recursive_directory_iterator(); walk.increment(error)) {
        if (error) {
            result.degrade(report::ReasonCode::input_unreadable,
                           directory.string() + ": " + error.message());
            break;
        }
        paths.push_back(walk->path().string());
    }
    std::sort(paths.begin() + 1, paths.end());
    return paths;
}

} // namespace

SpoolSource::SpoolSource(SpoolSettings settings)
    : settings_(std::move(settings)) {}

std::string SpoolSource::name() const {
    return "spool-" + staging::encode_name_component(settings_.name);
}

void SpoolSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    platform::UniqueFd lock;
    if (!settings_.lock_file.empty()) {
        lock.reset(::open(settings_.lock_file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!lock && errno != ENOENT) {
            result.fail(report::ReasonCode::input_unreadable,
                        "lock file " + settings_.lock_file.string() + ": " + std::strerror(errno));
            return;
        }
        auto deadline = std::chrono::steady_clock::now() + settings_.lock_timeout;
        while (lock && ::flock(lock.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                result.fail(report::ReasonCode::input_unreadable,
                            "lock " + settings_.lock_file.string() + ": " + std::strerror(errno));
                return;
            }
            if (std::chrono::steady_clock::now() >= deadline) {
                result.fail(report::ReasonCode::lock_timeout,
                            "the lock " + settings_.lock_file.string() + " of spool " +
                                settings_.name + " was not released within " +
                                std::to_string(settings_.lock_timeout.count() / 1000) + " s");
                return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    std::vector<std::string> paths = spool_paths(settings_.directory, result);
    if (result.outcome == report::Outcome::failed) {
        return;
    }
    std::string artifact_name = name() + ".tar.zst.age";
    // A dry pass digests the tar stream (no compression, no encryption, no disk): an unchanged
    // spool is then linked from the previous tree, so a pull transfers nothing new.
    report::Digest digest = writer.digest_of([&](platform::ByteSink& sink) {
        archive::TarWriter tar(sink);
        tar.set_reproducible(true);
        for (const std::string& path : paths) {
            tar.add(path);
        }
        tar.finish();
    });
    if (auto reused = writer.reuse(artifact_name, digest)) {
        result.artifacts.push_back(*reused);
        result.counts["entries"] = paths.size();
        return;
    }
    auto artifact = writer.begin_tar(artifact_name, staging::ArtifactWriter::Reuse::digested);
    for (const std::string& path : paths) {
        artifact->tar().add(path);
    }
    report_file_problems(artifact->tar().problems(), result);
    result.counts["entries"] = artifact->tar().counts().entries;
    result.artifacts.push_back(artifact->commit());
}

} // namespace offstage::sources
