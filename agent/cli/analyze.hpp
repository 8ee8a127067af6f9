#pragma once
// `sealwatch analyze --csv FILE`: replays readings from a CSV through the detection engine and
// prints one JSON event per line on stdout (docs/cli.md, docs/detection.md).
#include <string>

namespace sealwatch::cli {

// Exit code: 0 ok, 2 bad config or bad CSV (the problem on stderr as FILE:LINE: message).
int run_analyze(const std::string& config_path, const std::string& csv_path, bool stats);

}  // namespace sealwatch::cli
