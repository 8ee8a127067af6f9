#pragma once
// Durations in scenario files: "250ms", "10s", "5m", "1h", "2d", sums like "1h30m", or a bare
// number of seconds. Pure function, no I/O.
#include <optional>
#include <string_view>

namespace sealwatch::sim {

// Seconds, or nullopt when the text is not a duration. Negative durations are not durations.
std::optional<double> parse_duration(std::string_view text);

}  // namespace sealwatch::sim
