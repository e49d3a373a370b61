// A source of a run: something that becomes one or more artifacts of the day (DESIGN.md,
// "Architecture of the run"). Its promises, proven for every source by one conformance suite
// (tests/sources/test_source_conformance.cpp): it writes only through the ArtifactWriter, so an
// artifact appears only when complete and never holds a key; input trouble (a file that
// vanished, a lock never released, a command that failed) goes into its SourceResult, never into
// an exception; it throws only when its output fails (a full disk), which fails the run;
// nothing it started is left behind; its artifact names follow the grammar.
#pragma once

#include "stager/report/run_result.hpp"
#include "stager/staging/artifact_writer.hpp"

#include <string>

namespace offstage::sources {

class Source {
public:
    virtual ~Source() = default;
    // The artifact stem, unique in a run: "files", "system", "spool-NAME".
    virtual std::string name() const = 0;
    // "files", "system", "spool", ...
    virtual std::string kind() const = 0;
    // Writes the source's artifacts and records them, its problems and counts in `result`.
    virtual void produce(staging::ArtifactWriter& writer, report::SourceResult& result) = 0;
};

} // namespace offstage::sources
