#pragma once
// `sealwatch meter ...`: commissioning verbs that talk to a bus directly. Run them with the
// agent stopped (or on a bus it does not poll): two masters on one line garble each other.
#include <string>

namespace sealwatch::cli {

// `sealwatch meter discover --bus ID`: the 12-digit address of the one DL/T 645 meter on a
// dlt645 bus, and a [[meter]] table to paste into the config. 0 found, 1 nothing or garbage
// answered (said on stderr), 2 a config problem or a bus of another kind.
int run_meter_discover(const std::string& config_path, const std::string& bus_id);

}  // namespace sealwatch::cli
