#pragma once
// `sealwatch analyze --csv FILE`: replays readings from a CSV through the detection engine and
// prints one JSON event per line on stdout (docs/cli.md, docs/detection.md).
#include <string>

namespace sealwatch::cli {

struct AnalyzeOptions {
    bool stats = false;   // rows, events and throughput on stderr
    bool strict = false;  // exit 2 at the first bad cell or row (default: ignore, count, go on)
};

// Exit code: 0 ok (cells ignored and rows skipped, if any, are summed up on stderr), 2 bad
// config or bad CSV (the problem on stderr as FILE:LINE: message).
int run_analyze(const std::string& config_path, const std::string& csv_path,
                AnalyzeOptions options);

}  // namespace sealwatch::cli
