// The Prometheus textfile of a snapshot (docs/status-page.md, "Metrics"): the text exposition
// format (0.0.4) that node_exporter's textfile collector reads, every metric with HELP and
// TYPE, names and units as Prometheus' conventions ask (offstage_..._seconds, _bytes, base
// units, timestamps as Unix seconds; 0 for "never").
#pragma once

#include "stager/status/status_snapshot.hpp"

#include <string>

namespace offstage::status {

std::string render_metrics(const StatusSnapshot& snapshot);

} // namespace offstage::status
