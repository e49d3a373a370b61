// Placeholder until this command group lands; its owner replaces the whole file.
#include "stager/cli/commands.hpp"

namespace offstage::cli {

void add_policy_command(CLI::App&, const GlobalOptions&) {}

} // namespace offstage::cli
