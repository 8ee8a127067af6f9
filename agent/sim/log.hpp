#pragma once
// The simulator's log: one line per call on stderr, prefixed with the program name. Safe from
// any thread (one write per line).
#include <string>
#include <string_view>

namespace sealwatch::sim {

void log_line(std::string_view message);

// " at <Unix ms>": ends a verbose request line, so that a test can line the requests up with the
// readings' timestamps (which polls the simulator served, and when).
std::string at_wall_ms();

}  // namespace sealwatch::sim
