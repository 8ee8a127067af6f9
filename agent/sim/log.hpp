#pragma once
// The simulator's log: one line per call on stderr, prefixed with the program name. Safe from
// any thread (one write per line).
#include <string_view>

namespace sealwatch::sim {

void log_line(std::string_view message);

}  // namespace sealwatch::sim
