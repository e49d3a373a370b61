#include "stager/drill/afs_drill.hpp"

#include "platform/child_process.hpp"
#include "platform/system_error.hpp"
#include "platform/unique_fd.hpp"
#include "stager/drill/artifact_reader.hpp"
#include "stager/sources/afs/vos_dump_reader.hpp"
#include "stager/sources/afs/vos_listing.hpp"

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace offstage::drill {

namespace {

namespace afs = sources::afs;
using platform::ChildProcess;

constexpr std::string_view artifact_prefix = "afs/";
constexpr std::string_view artifact_suffix = ".vosdump.zst.age";

bool selected(const std::vector<std::string>& only, const std::string& subject) {
    if (only.empty()) {
        return true;
    }
    return std::any_of(only.begin(), only.end(), [&](const std::string& wanted) {
        return wanted == "afs" || wanted == subject;
    });
}

// Passes the plaintext on to the dump reader and keeps a copy in a file for `vos restore`,
// so the artifact is decrypted once.
class CopyingSource : public platform::ByteSource {
public:
    CopyingSource(platform::ByteSource& source, int fd, std::string path)
        : source_(source)
        , fd_(fd)
        , path_(std::move(path)) {}
    std::size_t read(std::span<std::byte> buffer) override {
        std::size_t n = source_.read(buffer);
        for (std::size_t done = 0; done < n;) {
            ssize_t written = ::write(fd_, buffer.data() + done, n - done);
            if (written < 0 && errno == EINTR) {
                continue;
            }
            if (written <= 0) {
                platform::throw_errno("write " + path_);
            }
            done += static_cast<std::size_t>(written);
        }
        return n;
    }

private:
    platform::ByteSource& source_;
    int fd_;
    std::string path_;
};

std::vector<std::string> vos(const AfsDrillCell& cell, std::vector<std::string> arguments) {
    std::vector<std::string> argv = cell.auth_wrapper;
    argv.push_back(cell.vos.string());
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    if (cell.auth_wrapper.empty()) {
        argv.emplace_back("-localauth");
    }
    if (cell.config_dir) {
        argv.insert(argv.end(), {"-config", cell.config_dir->string()});
    }
    if (cell.cell) {
        argv.insert(argv.end(), {"-cell", *cell.cell});
    }
    return argv;
}

ChildProcess::Options vos_options() {
    ChildProcess::Options options;
    options.environment = {{"LC_ALL", "C"}, {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
    options.timeout = std::chrono::hours(6);
    return options;
}

// Restores `dump` into the drill cell as a scratch volume, compares `vos examine` with the
// dump's volume header, and removes the scratch volume. Returns what differs ("" when equal).
std::string restore_and_compare(const AfsDrillCell& cell, const std::filesystem::path& dump,
                                const afs::VosDumpSummary& summary) {
    // Short (RW names have at most 22 bytes) and unlike any production name.
    const std::string scratch = "drill." + std::to_string(summary.volume_id);
    auto remove_scratch = [&] {
        ChildProcess::output(vos(cell, {"remove", "-server", cell.server, "-partition",
                                        cell.partition, "-id", scratch}),
                             vos_options());
    };
    try {
        ChildProcess::output(vos(cell, {"restore", cell.server, cell.partition, scratch, "-file",
                                        dump.string(), "-overwrite", "full"}),
                             vos_options());
    } catch (...) {
        // A restore that failed half-way can leave an off-line scratch volume behind.
        try {
            remove_scratch();
        } catch (const std::exception&) {
            // none was made: the restore's own error is the one to report
        }
        throw;
    }
    std::string differences;
    try {
        afs::VosVolume restored = afs::parse_examine_format(
            ChildProcess::output(vos(cell, {"examine", scratch, "-format"}), vos_options()));
        auto compare = [&](const char* what, std::uint64_t dumped, std::uint64_t examined) {
            if (dumped != examined) {
                differences += std::string(differences.empty() ? "" : ", ") + what + ": dump " +
                               std::to_string(dumped) + ", restored " + std::to_string(examined);
            }
        };
        compare("updateDate", summary.update_date,
                static_cast<std::uint64_t>(restored.update_date));
        compare("filecount", summary.file_count, restored.file_count);
        compare("maxquota", summary.max_quota, restored.max_quota);
        if (restored.status != afs::VolumeStatus::ok || !restored.in_use) {
            differences +=
                std::string(differences.empty() ? "" : ", ") + "the restored volume is not on-line";
        }
    } catch (...) {
        remove_scratch();
        throw;
    }
    remove_scratch();
    return differences;
}

} // namespace

AfsDrill::AfsDrill(std::optional<AfsDrillCell> cell)
    : cell_(std::move(cell)) {}

std::vector<DrillVerdict> AfsDrill::run(const DrillContext& context) {
    std::vector<DrillVerdict> verdicts;
    for (const std::string& name : context.artifacts) {
        if (!name.starts_with(artifact_prefix) || !name.ends_with(artifact_suffix)) {
            continue;
        }
        std::string subject = name.substr(0, name.size() - artifact_suffix.size());
        if (!selected(context.only, subject)) {
            continue;
        }
        DrillVerdict verdict;
        verdict.subject = subject;
        auto started = std::chrono::steady_clock::now();
        std::filesystem::path copy;
        try {
            ArtifactReader reader(context.day, name, context.identities);
            afs::VosDumpSummary summary;
            if (cell_) {
                copy = context.scratch / ("afs-" + std::to_string(verdicts.size()) + ".vosdump");
                platform::UniqueFd fd(
                    ::open(copy.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
                if (!fd) {
                    platform::throw_errno("create " + copy.string());
                }
                CopyingSource copying(reader, fd.get(), copy.string());
                summary = afs::read_vos_dump(copying);
            } else {
                summary = afs::read_vos_dump(reader);
            }
            verdict.plaintext_bytes = summary.bytes;
            verdict.ok = true;
            verdict.detail = "dump whole: volume " + summary.volume_name + " (id " +
                             std::to_string(summary.volume_id) + "), " +
                             std::to_string(summary.vnodes) + " vnodes, " +
                             std::to_string(summary.data_bytes) + " bytes of data";
            if (cell_) {
                std::string differences = restore_and_compare(*cell_, copy, summary);
                if (differences.empty()) {
                    verdict.detail += "; restored into " + cell_->server + " " + cell_->partition +
                                      " as drill." + std::to_string(summary.volume_id) +
                                      ", vos examine agrees, removed again";
                } else {
                    verdict.ok = false;
                    verdict.detail = "restored, but vos examine differs: " + differences;
                }
            }
        } catch (const afs::VosDumpError& error) {
            verdict.ok = false;
            verdict.detail = std::string("not a whole volume dump: ") + error.what();
        } catch (const std::exception& error) {
            verdict.ok = false;
            verdict.detail = error.what();
        }
        if (!copy.empty()) {
            std::error_code ignored;
            std::filesystem::remove(copy, ignored);
        }
        verdict.elapsed = std::chrono::steady_clock::now() - started;
        verdicts.push_back(std::move(verdict));
    }
    return verdicts;
}

} // namespace offstage::drill
