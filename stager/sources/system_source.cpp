#include "stager/sources/system_source.hpp"

#include "platform/child_process.hpp"
#include "stager/selection/scan_records.hpp"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>
#include <sys/stat.h>

namespace offstage::sources {

namespace {

// A regular file's content, or nullopt (with a problem) when it cannot be read.
std::optional<std::string> read_small_file(const std::filesystem::path& path,
                                           report::SourceResult& result) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        result.degrade(report::ReasonCode::input_unreadable, path.string() + ": cannot read");
        return std::nullopt;
    }
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

// Regular files directly in `directory` whose name passes `keep`, in name order.
std::vector<std::filesystem::path> files_in(const std::filesystem::path& directory,
                                            bool (*keep)(const std::string&)) {
    std::vector<std::filesystem::path> files;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
        if (entry.is_regular_file() && !entry.is_symlink() &&
            keep(entry.path().filename().string())) {
            files.push_back(entry.path());
        }
    }
    std::sort(files.begin(), files.end());
    return files;
}

bool any_name(const std::string&) {
    return true;
}
bool apt_source_name(const std::string& name) {
    return name.ends_with(".list") || name.ends_with(".sources");
}
bool policy_name(const std::string& name) {
    return name.ends_with(".policy");
}

} // namespace

SystemSource::SystemSource(SystemSettings settings, const selection::BackupSelection& selection)
    : settings_(std::move(settings))
    , selection_(selection) {}

std::vector<std::pair<std::string, std::string>>
SystemSource::entries(report::SourceResult& result) const {
    std::vector<std::pair<std::string, std::string>> entries;
    // The children's whole environment (the runner inherits nothing), and a budget each: a
    // command that hangs fails this source instead of the run.
    platform::ChildProcess::Options options;
    options.environment = {{"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}, {"LC_ALL", "C"}};
    options.timeout = std::chrono::minutes(5);
    auto command = [&](const std::string& name, const std::vector<std::string>& argv) {
        try {
            entries.emplace_back(name, platform::ChildProcess::output(argv, options));
        } catch (const platform::ChildProcessError& error) {
            result.degrade(report::ReasonCode::child_failed, error.what());
        }
    };
    command("packages/dpkg-selections.txt",
            {settings_.dpkg.string(), "--admindir=" + settings_.admindir.string(),
             "--get-selections", "*"});
    bool own_root = settings_.root == "/";
    if (own_root) {
        command("packages/apt-manual.txt", {settings_.apt_mark.string(), "showmanual"});
        struct stat info {};
        if (::stat(settings_.debconf_get_selections.c_str(), &info) == 0) {
            command("packages/debconf-selections.txt", {settings_.debconf_get_selections.string()});
        } else {
            entries.emplace_back("packages/NOT-SAVED.txt",
                                 "debconf selections: debconf-utils is not installed "
                                 "(apt-get install debconf-utils)\n");
        }
    } else {
        entries.emplace_back("packages/NOT-SAVED.txt",
                             "apt-mark showmanual and debconf-get-selections read the running "
                             "system only; the scanned root is " +
                                 settings_.root.string() + "\n");
    }
    std::filesystem::path apt = settings_.root / "etc/apt";
    if (auto main_list = std::filesystem::path(apt / "sources.list");
        std::filesystem::is_regular_file(main_list)) {
        if (auto content = read_small_file(main_list, result)) {
            entries.emplace_back("apt/sources.list", *content);
        }
    }
    for (const auto& file : files_in(apt / "sources.list.d", apt_source_name)) {
        if (auto content = read_small_file(file, result)) {
            entries.emplace_back("apt/sources.list.d/" + file.filename().string(), *content);
        }
    }
    std::string keyrings;
    for (const char* directory :
         {"etc/apt/trusted.gpg.d", "etc/apt/keyrings", "usr/share/keyrings"}) {
        for (const auto& file : files_in(settings_.root / directory, any_name)) {
            keyrings += "/" + std::string(directory) + "/" + file.filename().string() + "\n";
        }
    }
    entries.emplace_back("apt/keyrings.txt", keyrings);
    entries.emplace_back("scan/selection.nul", selection::scan_records(selection_));
    if (!settings_.config_file.empty() && std::filesystem::is_regular_file(settings_.config_file)) {
        if (auto content = read_small_file(settings_.config_file, result)) {
            entries.emplace_back("offstage/offstage.toml", *content);
        }
    }
    if (!settings_.policy_dir.empty()) {
        for (const auto& file : files_in(settings_.policy_dir, policy_name)) {
            if (auto content = read_small_file(file, result)) {
                entries.emplace_back("offstage/policy.d/" + file.filename().string(), *content);
            }
        }
    }
    std::sort(entries.begin(), entries.end());
    return entries;
}

void SystemSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    std::vector<std::pair<std::string, std::string>> content = entries(result);
    auto write_all = [&content](archive::TarWriter& tar) {
        for (const auto& [name, bytes] : content) {
            tar.add_generated(name, bytes);
        }
    };
    report::Digest digest = writer.digest_of([&](platform::ByteSink& sink) {
        archive::TarWriter tar(sink);
        write_all(tar);
        tar.finish();
    });
    result.counts["entries"] = content.size();
    if (auto reused = writer.reuse("system.tar.zst.age", digest)) {
        result.artifacts.push_back(*reused);
        return;
    }
    auto artifact =
        writer.begin_tar("system.tar.zst.age", staging::ArtifactWriter::Reuse::digested);
    write_all(artifact->tar());
    result.artifacts.push_back(artifact->commit());
}

} // namespace offstage::sources
