#pragma once
// Where the listeners come from: the scenario's [[listener]] tables, unless the command line
// names any (--tcp/--rtu), which then replace them. Pure.
#include <string>
#include <vector>

#include "sim/scenario.hpp"

namespace sealwatch::sim {

struct SerialDefaults {
    int baud = 9600;
    char parity = 'N';
    int data_bits = 8;
    int stop_bits = 1;
};

// tcp/rtu: the --tcp/--rtu values, each "ADDRESS" or "ID=ADDRESS". A value without an id takes
// the id of the file's listener of the same kind in the same position, or "tcp"/"rtu" (then
// "tcp2", ...) when the file has none there. A value that takes the id of a file's listener
// keeps its protocol and framing (a file's DL/T 645 listener served on a pty given on the command
// line, its RTU-over-TCP listener on a free port).
// Appends problems for malformed values.
std::vector<ListenerSpec> merge_listeners(const std::vector<ListenerSpec>& from_file,
                                          const std::vector<std::string>& tcp,
                                          const std::vector<std::string>& rtu,
                                          const SerialDefaults& serial,
                                          std::vector<std::string>& problems);

}  // namespace sealwatch::sim
