#include "stager/drill/database_drill_support.hpp"

#include "platform/fd_stream.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/drill/artifact_reader.hpp"

#include <algorithm>
#include <fcntl.h>
#include <set>
#include <sstream>

namespace offstage::drill {

namespace {

struct StringSink : platform::ByteSink {
    std::string text;
    void write(std::span<const std::byte> bytes) override {
        text.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    void finish() override {}
};

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        lines.push_back(line);
    }
    return lines;
}

} // namespace

std::vector<std::string> selected_stems(const DrillContext& context, const std::string& kind,
                                        const std::string& suffix) {
    const std::string prefix = "db/" + kind + "/";
    std::vector<std::string> stems;
    for (const std::string& name : context.artifacts) {
        if (!name.starts_with(prefix) || !name.ends_with(suffix) ||
            name.size() <= prefix.size() + suffix.size()) {
            continue;
        }
        std::string stem = name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
        if (stem.find('/') != std::string::npos) {
            continue;
        }
        bool wanted = context.only.empty();
        for (const std::string& only : context.only) {
            wanted = wanted || only == "db" || only == kind || only == kind + "/" + stem ||
                     only == kind + "/" + decode_name_component(stem);
        }
        if (wanted) {
            stems.push_back(stem);
        }
    }
    std::sort(stems.begin(), stems.end());
    return stems;
}

bool has_artifact(const DrillContext& context, const std::string& name) {
    return std::find(context.artifacts.begin(), context.artifacts.end(), name) !=
           context.artifacts.end();
}

std::string artifact_text(const DrillContext& context, const std::string& name) {
    ArtifactReader reader(context.day, name, context.identities);
    StringSink sink;
    reader.copy_to(sink);
    return sink.text;
}

std::uint64_t artifact_to_file(const DrillContext& context, const std::string& name,
                               const std::filesystem::path& path) {
    platform::UniqueFd fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) {
        platform::throw_errno("create " + path.string());
    }
    ArtifactReader reader(context.day, name, context.identities);
    platform::FdSink sink(fd.get(), path.string());
    std::uint64_t bytes = reader.copy_to(sink);
    sink.finish();
    return bytes;
}

std::string decode_name_component(const std::string& stem) {
    std::string name;
    for (std::size_t i = 0; i < stem.size(); ++i) {
        if (stem[i] == '%' && i + 2 < stem.size()) {
            name += static_cast<char>(std::stoi(stem.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            name += stem[i];
        }
    }
    return name;
}

std::string fingerprint_difference(const std::string& expected, const std::string& found) {
    if (expected == found) {
        return "";
    }
    std::vector<std::string> want = lines_of(expected);
    std::vector<std::string> have = lines_of(found);
    std::multiset<std::string> want_set(want.begin(), want.end());
    std::multiset<std::string> have_set(have.begin(), have.end());
    std::vector<std::string> missing;
    std::vector<std::string> extra;
    std::set_difference(want_set.begin(), want_set.end(), have_set.begin(), have_set.end(),
                        std::back_inserter(missing));
    std::set_difference(have_set.begin(), have_set.end(), want_set.begin(), want_set.end(),
                        std::back_inserter(extra));
    std::string detail;
    auto add = [&](const char* what, const std::vector<std::string>& lines) {
        for (std::size_t i = 0; i < lines.size() && i < 3; ++i) {
            detail += std::string(detail.empty() ? "" : "; ") + what + lines[i];
        }
        if (lines.size() > 3) {
            detail += "; and " + std::to_string(lines.size() - 3) + " more";
        }
    };
    add("fingerprint: ", missing);
    add("restored: ", extra);
    return detail.empty() ? "the fingerprint's lines are in another order" : detail;
}

std::size_t fingerprint_tables(const std::string& fingerprint) {
    std::size_t tables = 0;
    for (const std::string& line : lines_of(fingerprint)) {
        tables += line.starts_with("table ") ? 1 : 0;
    }
    return tables;
}

} // namespace offstage::drill
