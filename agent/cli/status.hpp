#pragma once
// `sealwatch status`: meters, assets, open alarms and the uplink backlog, read from the agent's
// database without writing to it, so it works while the agent runs. The table fits 80 columns
// and shows times in the gateway's `timezone`; `--json` gives the same view, times in UTC.
#include <string>

namespace sealwatch::cli {

// Exit code: 0 ok, 2 bad config, 1 no database yet or unreadable.
int run_status(const std::string& config_path, bool as_json);

}  // namespace sealwatch::cli
