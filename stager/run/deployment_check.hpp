// What `offstage policy check` says of a run before one is tried (the `cback validate` of
// offstage): the staging and work roots (directories, owners, modes, one filesystem, the work
// root outside the served one), the keys and state, the programs the run would start (sendmail,
// hooks), the spools, and that the scan skips the staging tree. Only reads: it creates nothing.
#pragma once

#include "stager/run/run_settings.hpp"

#include <string>
#include <vector>

namespace offstage::run {

struct DeploymentFindings {
    std::vector<std::string> good;     // "staging root /srv/offstage: a directory, 0750 ..."
    std::vector<std::string> problems; // each names the path or key and what is wrong
};

DeploymentFindings check_deployment(const RunSettings& settings);

} // namespace offstage::run
