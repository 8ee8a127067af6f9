#pragma once
// `sealwatch status`: meters, assets, open alarms and the uplink backlog, read from the agent's
// database without writing to it, so it works while the agent runs. Fits 80 columns.
#include <string>

namespace sealwatch::cli {

// Exit code: 0 ok, 2 bad config, 1 no database yet or unreadable.
int run_status(const std::string& config_path);

}  // namespace sealwatch::cli
