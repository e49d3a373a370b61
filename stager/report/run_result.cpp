#include "stager/report/run_result.hpp"

namespace offstage::report {

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
    case Outcome::ok:
        return "ok";
    case Outcome::degraded:
        return "degraded";
    case Outcome::failed:
        return "failed";
    }
    return "failed";
}

std::string_view to_string(ReasonCode code) {
    switch (code) {
    case ReasonCode::input_changed:
        return "input_changed";
    case ReasonCode::input_unreadable:
        return "input_unreadable";
    case ReasonCode::lock_timeout:
        return "lock_timeout";
    case ReasonCode::child_failed:
        return "child_failed";
    case ReasonCode::child_output_incomplete:
        return "child_output_incomplete";
    case ReasonCode::timeout:
        return "timeout";
    case ReasonCode::output_failed:
        return "output_failed";
    case ReasonCode::non_transactional:
        return "non_transactional";
    case ReasonCode::disabled:
        return "disabled";
    case ReasonCode::volume_unavailable:
        return "volume_unavailable";
    case ReasonCode::integrity_check_failed:
        return "integrity_check_failed";
    }
    return "output_failed";
}

std::string_view to_string(RunStatus status) {
    switch (status) {
    case RunStatus::complete:
        return "complete";
    case RunStatus::degraded:
        return "degraded";
    case RunStatus::failed:
        return "failed";
    }
    return "failed";
}

void SourceResult::degrade(ReasonCode code, std::string detail) {
    if (outcome == Outcome::ok) {
        outcome = Outcome::degraded;
    }
    problems.push_back({code, std::move(detail)});
}

void SourceResult::fail(ReasonCode code, std::string detail) {
    outcome = Outcome::failed;
    problems.push_back({code, std::move(detail)});
}

RunStatus RunResult::status_from_sources() const {
    for (const SourceResult& source : sources) {
        if (source.outcome != Outcome::ok) {
            return RunStatus::degraded;
        }
    }
    return RunStatus::complete;
}

std::uint64_t RunResult::total_bytes() const {
    std::uint64_t bytes = 0;
    for (const SourceResult& source : sources) {
        for (const ArtifactRecord& artifact : source.artifacts) {
            bytes += artifact.bytes;
        }
    }
    return bytes;
}

std::size_t RunResult::total_artifacts() const {
    std::size_t count = 0;
    for (const SourceResult& source : sources) {
        count += source.artifacts.size();
    }
    return count;
}

std::size_t RunResult::reused_artifacts() const {
    std::size_t count = 0;
    for (const SourceResult& source : sources) {
        for (const ArtifactRecord& artifact : source.artifacts) {
            count += artifact.reused ? 1 : 0;
        }
    }
    return count;
}

} // namespace offstage::report
