#pragma once
// Which misbehaviours are in force for a meter at a moment of simulated time. Pure.
#include <vector>

#include "sim/scenario.hpp"

namespace sealwatch::sim {

struct ActiveFaults {
    bool silent = false;   // no_answer or offline
    bool offline = false;  // unpowered: counters frozen too
    bool corrupt = false;
    int exception = 0;  // 0 = none
    int slow_ms = 0;
};

// Overlapping windows combine: any silence wins, the largest delay and the first exception
// listed apply.
ActiveFaults active_faults(const std::vector<Fault>& faults, double t);

// True when t lies in an offline window.
bool is_offline(const std::vector<Fault>& faults, double t);

}  // namespace sealwatch::sim
