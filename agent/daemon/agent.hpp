#pragma once
// The running agent: wires config, pollers, store and uplink, and owns the main loop (the one
// thread that touches the store). main.cpp only parses the command line and takes signals.
#include <atomic>
#include <string>

namespace sealwatch::daemon {

struct RunOptions {
    std::string config_path;
    bool print_readings = false;
};

enum class Request { none, stop, reload };

// Runs until `request` says stop. Returns the process exit code. `request` is set by the signal
// thread and read (and reset) by the main loop.
int run(const RunOptions& options, std::atomic<Request>& request);

}  // namespace sealwatch::daemon
