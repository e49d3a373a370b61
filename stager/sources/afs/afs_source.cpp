#include "stager/sources/afs/afs_source.hpp"

#include "platform/child_process.hpp"
#include "platform/config_file.hpp"
#include "platform/printable_name.hpp"
#include "policies/policy_set.hpp"
#include "stager/sources/afs/vos_dump_reader.hpp"
#include "stager/sources/afs/vos_listing.hpp"
#include "stager/staging/artifact_name.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <thread>
#include <unistd.h>

namespace offstage::sources::afs {

namespace {

using platform::ChildProcess;
using platform::ChildProcessError;
using report::ReasonCode;

// A volume of the listing that is to be staged, and what its dump is taken from.
struct Candidate {
    const VosVolume* volume; // the RW volume
    const VosVolume* clone;  // its existing .backup clone in the listing, or nullptr
    std::string fingerprint; // what the reuse key is the keyed digest of
    std::string artifact;
};

// "^user\.bob$": `vos backupsys -prefix` takes a string starting with '^' as a regular
// expression, so each volume is named exactly (a plain prefix would also clone user.bobby).
std::string exact_expression(const std::string& volume) {
    std::string expression = "^";
    for (char c : volume) {
        if (std::string_view(".[]\\*^$+?(){}|").find(c) != std::string_view::npos) {
            expression.push_back('\\');
        }
        expression.push_back(c);
    }
    return expression + "$";
}

// vos says "busy" or "locked" for the transient states a retry may outlast (a volume being
// moved, released or cloned; a VLDB entry locked by another vos).
bool transient(const std::string& error_output, const std::string& message) {
    std::string text = error_output + "\n" + message;
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text.find("busy") != std::string::npos || text.find("locked") != std::string::npos;
}

std::string volume_label(const VosVolume& volume) {
    return volume.name.empty() ? "volume id " + std::to_string(volume.id)
                               : "volume " + platform::printable_name(volume.name) + " (id " +
                                     std::to_string(volume.id) + ")";
}

class Run {
public:
    Run(const AfsSettings& settings, staging::ArtifactWriter& writer, report::SourceResult& result)
        : settings_(settings)
        , writer_(writer)
        , result_(result) {}

    void produce() {
        if (::access(settings_.vos.c_str(), X_OK) != 0) {
            result_.fail(ReasonCode::disabled,
                         "vos " + settings_.vos.string() +
                             " cannot be run (is openafs-client installed? [afs] vos names it): "
                             "no AFS volume was dumped");
            return;
        }
        policies::PolicySet policies;
        if (!settings_.policy_dir.empty()) {
            try {
                policies = policies::PolicySet::load_directory(settings_.policy_dir);
            } catch (const std::exception& error) {
                result_.fail(ReasonCode::input_unreadable,
                             std::string("exclude-volume rules: ") + error.what());
                return;
            }
        }
        std::optional<VosListing> listing = list();
        if (!listing) {
            return;
        }
        count("volumes_listed", listing->volumes.size());
        std::map<std::uint32_t, const VosVolume*> by_id;
        for (const VosVolume& volume : listing->volumes) {
            by_id[volume.id] = &volume;
        }
        std::vector<Candidate> candidates;
        for (const VosVolume& volume : listing->volumes) {
            if (volume.status != VolumeStatus::ok) {
                count("volumes_unavailable");
                result_.degrade(
                    ReasonCode::volume_unavailable,
                    volume_label(volume) + " on " + settings_.server + " is " +
                        (volume.status == VolumeStatus::busy ? "busy" : "unattachable") +
                        ": not dumped");
            } else if (volume.type != VolumeType::read_write) {
                count("volumes_clones"); // a .readonly or .backup: its RW volume is dumped
            } else if (policies.match_volume(volume.name) != nullptr) {
                count("volumes_excluded");
            } else {
                Candidate candidate{&volume, nullptr, {}, AfsSource::artifact_name(volume.name)};
                auto clone = by_id.find(volume.backup_id);
                if (volume.backup_id != 0 && clone != by_id.end() &&
                    clone->second->status == VolumeStatus::ok) {
                    candidate.clone = clone->second;
                }
                // The update date of what is dumped: the RW volume's as listed before the fresh
                // clone is made (the clone then holds that state or a later one, never an
                // earlier), or the existing clone's own when offstage makes none.
                const VosVolume& dated =
                    (settings_.backupsys || candidate.clone == nullptr) ? volume : *candidate.clone;
                candidate.fingerprint = "offstage-afs-volume/1 id=" + std::to_string(volume.id) +
                                        " updated=" + std::to_string(dated.update_date);
                candidates.push_back(std::move(candidate));
            }
        }
        std::vector<const Candidate*> to_dump;
        for (const Candidate& candidate : candidates) {
            if (auto reused = writer_.reuse(candidate.artifact,
                                            writer_.keyed_digest(candidate.fingerprint))) {
                result_.artifacts.push_back(*reused);
                count("volumes_reused");
            } else {
                to_dump.push_back(&candidate);
            }
        }
        bool from_clones = settings_.backupsys ? backupsys(to_dump) : true;
        for (const Candidate* candidate : to_dump) {
            std::string source = candidate->volume->name;
            if (from_clones && (settings_.backupsys || candidate->clone != nullptr)) {
                source = settings_.backupsys ? source + ".backup" : candidate->clone->name;
            }
            dump(*candidate, source);
        }
        result_.counts.try_emplace("volumes_dumped", 0);
    }

private:
    std::vector<std::string> vos(std::vector<std::string> arguments) const {
        std::vector<std::string> argv = settings_.auth_wrapper;
        argv.push_back(settings_.vos.string());
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        if (settings_.auth_wrapper.empty()) {
            argv.emplace_back("-localauth");
        }
        if (settings_.config_dir) {
            argv.insert(argv.end(), {"-config", settings_.config_dir->string()});
        }
        if (settings_.cell) {
            argv.insert(argv.end(), {"-cell", *settings_.cell});
        }
        return argv;
    }

    ChildProcess::Options options(std::chrono::milliseconds timeout,
                                  std::string* error_output) const {
        ChildProcess::Options options;
        options.environment = {{"LC_ALL", "C"}, {"PATH", "/usr/sbin:/usr/bin:/sbin:/bin"}};
        options.timeout = timeout;
        options.error_output = error_output;
        return options;
    }

    void count(const std::string& key, std::uint64_t n = 1) { result_.counts[key] += n; }

    std::optional<VosListing> list() {
        std::vector<std::optional<std::string>> partitions;
        for (const std::string& partition : settings_.partitions) {
            partitions.emplace_back(partition);
        }
        if (partitions.empty()) {
            partitions.emplace_back(std::nullopt);
        }
        VosListing listing;
        for (const auto& partition : partitions) {
            std::vector<std::string> arguments{"listvol", settings_.server};
            if (partition) {
                arguments.push_back(*partition);
            }
            arguments.push_back("-format");
            std::vector<std::string> argv = vos(arguments);
            try {
                VosListing part = parse_listvol_format(
                    ChildProcess::output(argv, options(settings_.timeout, nullptr)));
                if (part.announced != part.volumes.size()) {
                    throw VosOutputError("it announces " + std::to_string(part.announced) +
                                         " volumes and lists " +
                                         std::to_string(part.volumes.size()));
                }
                listing.announced += part.announced;
                listing.volumes.insert(listing.volumes.end(), part.volumes.begin(),
                                       part.volumes.end());
            } catch (const ChildProcessError& error) {
                result_.fail(error.timed_out() ? ReasonCode::timeout : ReasonCode::child_failed,
                             std::string("listing the volumes: ") + error.what());
                return std::nullopt;
            } catch (const VosOutputError& error) {
                result_.fail(ReasonCode::child_output_incomplete,
                             ChildProcess::describe(argv) + ": " + error.what());
                return std::nullopt;
            }
        }
        return listing;
    }

    // Fresh .backup clones of exactly the volumes to dump; false when vos backupsys failed (the
    // RW volumes are then dumped themselves: busy while dumped, but never a stale clone).
    bool backupsys(const std::vector<const Candidate*>& to_dump) {
        if (to_dump.empty()) {
            return true;
        }
        std::vector<std::string> arguments{"backupsys", "-server", settings_.server};
        for (const Candidate* candidate : to_dump) {
            arguments.insert(arguments.end(),
                             {"-prefix", exact_expression(candidate->volume->name)});
        }
        std::vector<std::string> argv = vos(arguments);
        try {
            ChildProcess::output(argv, options(settings_.timeout, nullptr));
            return true;
        } catch (const ChildProcessError& error) {
            result_.degrade(error.timed_out() ? ReasonCode::timeout : ReasonCode::child_failed,
                            std::string(error.what()) +
                                ": dumping the RW volumes themselves instead of fresh clones");
            return false;
        }
    }

    void dump(const Candidate& candidate, const std::string& source) {
        std::vector<std::string> argv = vos({"dump", "-id", source, "-time", "0"});
        const std::string label = volume_label(*candidate.volume);
        auto started = std::chrono::steady_clock::now();
        for (unsigned attempt = 0;; ++attempt) {
            std::string error_output;
            DumpEndMarker end;
            auto artifact = writer_.begin_stream(candidate.artifact);
            try {
                ChildProcess::run(
                    argv,
                    [&](std::string_view chunk) {
                        end.update(chunk);
                        artifact->sink().write(
                            std::as_bytes(std::span(chunk.data(), chunk.size())));
                    },
                    options(settings_.dump_timeout, &error_output));
            } catch (const ChildProcessError& error) {
                artifact.reset(); // nothing under the artifact's name; yesterday's stays
                if (!error.timed_out() && attempt < settings_.retries &&
                    transient(error_output, error.what())) {
                    count("dump_retries");
                    std::this_thread::sleep_for(settings_.retry_delay);
                    continue;
                }
                count("volumes_failed");
                result_.fail(error.timed_out() ? ReasonCode::timeout : ReasonCode::child_failed,
                             label + ": " + error.what() + retried(attempt, started));
                return;
            }
            if (!end.complete()) {
                artifact.reset();
                count("volumes_failed");
                result_.fail(ReasonCode::child_output_incomplete,
                             label + ": " + ChildProcess::describe(argv) + " exited 0 but its " +
                                 std::to_string(end.bytes()) +
                                 " bytes do not end with the dump's end marker (04 3A 21 4B 6E): "
                                 "truncated, not staged" +
                                 retried(attempt, started));
                return;
            }
            result_.artifacts.push_back(
                artifact->commit(writer_.keyed_digest(candidate.fingerprint)));
            count("volumes_dumped");
            if (attempt > 0) {
                count("retry_wait_ms", static_cast<std::uint64_t>(
                                           std::chrono::duration_cast<std::chrono::milliseconds>(
                                               std::chrono::steady_clock::now() - started)
                                               .count()));
            }
            return;
        }
    }

    static std::string retried(unsigned attempts, std::chrono::steady_clock::time_point started) {
        if (attempts == 0) {
            return "";
        }
        auto waited = std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::steady_clock::now() - started);
        return " (after " + std::to_string(attempts) + " retries over " +
               std::to_string(waited.count()) + " s)";
    }

    const AfsSettings& settings_;
    staging::ArtifactWriter& writer_;
    report::SourceResult& result_;
};

} // namespace

AfsSource::AfsSource(AfsSettings settings)
    : settings_(std::move(settings)) {}

std::string AfsSource::artifact_name(const std::string& volume) {
    return "afs/" + staging::encode_name_component(volume) + ".vosdump.zst.age";
}

void AfsSource::produce(staging::ArtifactWriter& writer, report::SourceResult& result) {
    Run(settings_, writer, result).produce();
}

} // namespace offstage::sources::afs
